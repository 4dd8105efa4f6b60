import "server-only";
import { z } from "zod";
import { createFirstAdmin } from "../../services/accounts/create-admin";
import {
  describePasswordLink,
  setPasswordWithLink,
  ZSetPasswordInput,
} from "../../services/accounts/users";
import { attemptLimitedProcedure, createTRPCRouter } from "../trpc";

export const ZCreateAdminInput = z.object({
  name: z.string().trim().min(1, "Enter your name.").max(100),
  email: z.email("Enter a valid email address."),
  password: z.string().min(10, "Use at least 10 characters for the password.").max(200),
});

// Public on purpose: it works only while no account exists, and closes itself after the first.
// Limited per address like sign-in, since anyone can call it and a password hash costs CPU.
export const setupRouter = createTRPCRouter({
  createAdmin: attemptLimitedProcedure({ attempts: 10, perSeconds: 600 })
    .input(ZCreateAdminInput)
    .mutation(({ input }) => createFirstAdmin(input)),
  // a one-time link's token is a secret of 256 bits; the limit keeps guessing pointless anyway
  describePasswordLink: attemptLimitedProcedure({ attempts: 30, perSeconds: 600 })
    .input(z.object({ token: z.string().min(1).max(200) }))
    .query(({ input }) => describePasswordLink(input.token)),
  setPassword: attemptLimitedProcedure({ attempts: 10, perSeconds: 600 })
    .input(ZSetPasswordInput)
    .mutation(({ input }) => setPasswordWithLink(input)),
});
