/**
 * Who is calling: every authenticated request carries one `Principal`, whatever proved it (a
 * browser session, a bearer access token, an API key, an external identity provider's token).
 * Permissions are scopes; a user's role grants a fixed set of them, an API key has its own.
 * Routes ask for a scope (`requireScope`) and write `actorOf(req)` into the audit log.
 */
import type { FastifyRequest } from 'fastify';
import type { ApiKeyScope } from '../store/index.js';

export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The scopes each role holds. `admin` implies every scope. */
export const ROLE_SCOPES: Readonly<Record<Role, readonly ApiKeyScope[]>> = {
  viewer: ['read'],
  analyst: ['read', 'raw', 'label', 'ban', 'upload'],
  admin: ['admin'],
};

export interface Principal {
  /** How the caller proved who it is. */
  kind: 'session' | 'bearer' | 'apikey' | 'oidc';
  /** Audit actor: `user:<name>`, `apikey:<name>`, `oidc:<subject>`. */
  actor: string;
  /** Display name (user name, key name, token subject). */
  name: string;
  user_id?: number;
  role?: Role;
  scopes: readonly ApiKeyScope[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function hasScope(p: Principal | undefined, scope: ApiKeyScope): boolean {
  return !!p && (p.scopes.includes(scope) || p.scopes.includes('admin'));
}

/** The audit actor of an authenticated request (routes run after `requireScope`). */
export function actorOf(req: FastifyRequest): string {
  return (req.principal?.actor ?? 'anonymous').slice(0, 200);
}
