import "server-only";
import { z } from "zod";
import {
  createUser,
  listUsers,
  newPasswordLink,
  setUserDisabled,
  updateUser,
  ZUpdateUserInput,
  ZUserInput,
} from "../../services/accounts/users";
import {
  getSingleSignOn,
  saveSingleSignOn,
  ZSingleSignOnInput,
} from "../../services/accounts/single-sign-on";
import { adminProcedure, anyUserProcedure, createTRPCRouter } from "../trpc";

export const usersRouter = createTRPCRouter({
  /** who is signed in, and their role: the UI hides what the role cannot do */
  me: anyUserProcedure.query(({ ctx }) => ctx.user),
  list: adminProcedure.query(() => listUsers()),
  create: adminProcedure.input(ZUserInput).mutation(({ input }) => createUser(input)),
  update: adminProcedure
    .input(ZUpdateUserInput)
    .mutation(({ ctx, input }) => updateUser(ctx.user.id, input)),
  setDisabled: adminProcedure
    .input(z.object({ id: z.string().min(1), isDisabled: z.boolean() }))
    .mutation(({ ctx, input }) => setUserDisabled(ctx.user.id, input.id, input.isDisabled)),
  newPasswordLink: adminProcedure
    .input(z.object({ id: z.string().min(1) }))
    .mutation(async ({ input }) => ({ linkPath: await newPasswordLink(input.id) })),
  singleSignOn: adminProcedure.query(() => getSingleSignOn()),
  saveSingleSignOn: adminProcedure
    .input(ZSingleSignOnInput)
    .mutation(({ input }) => saveSingleSignOn(input)),
});
