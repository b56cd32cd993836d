/** The signed-in user, shared by every page: who it is and what its role may do. */
import { createContext, useContext } from 'react';
import type { Scope } from './roles';
import type { User } from './types';

export interface Session {
  user: User;
  can: (scope: Scope) => boolean;
  logout: () => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside the signed-in app');
  return s;
}
