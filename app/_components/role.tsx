"use client";

import { createContext, useContext } from "react";
import { roleCan, type TAccessLevel, type TRole } from "@/server/auth/access";

const RoleContext = createContext<TRole>("viewer");

/** The signed-in user's role, for hiding what it cannot do (the server refuses it regardless). */
export function RoleProvider({ role, children }: { role: TRole; children: React.ReactNode }) {
  return <RoleContext.Provider value={role}>{children}</RoleContext.Provider>;
}

export function useRole(): TRole {
  return useContext(RoleContext);
}

export function useCan(needed: TAccessLevel): boolean {
  return roleCan(useRole(), needed);
}

/** Shows its children only to a role that reaches `level`. */
export function Can({ level, children }: { level: TAccessLevel; children: React.ReactNode }) {
  return useCan(level) ? <>{children}</> : null;
}
