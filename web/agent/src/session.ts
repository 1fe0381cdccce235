// What every screen needs to know about who is signed in.
import { createContext, useContext } from "react";
import type { Me, Ref } from "./api";

export type Session = { me: Me; departments: Ref[] };
export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside the workspace");
  return s;
}
