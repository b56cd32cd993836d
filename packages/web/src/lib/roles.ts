/**
 * What each role may do, as the server decides it (packages/server/src/serve/principal.ts,
 * ROLE_SCOPES). The dashboard only uses this to hide or disable what would be refused anyway.
 */
import type { Role } from './types';

export type Scope = 'read' | 'raw' | 'label' | 'ban' | 'upload' | 'admin';

const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = {
  viewer: ['read'],
  analyst: ['read', 'raw', 'label', 'ban', 'upload'],
  admin: ['admin'],
};

/** True when `role` holds `scope` (admin holds every scope). */
export function roleCan(role: Role | undefined, scope: Scope): boolean {
  if (!role) return false;
  const scopes = ROLE_SCOPES[role] ?? [];
  return scopes.includes('admin') || scopes.includes(scope);
}
