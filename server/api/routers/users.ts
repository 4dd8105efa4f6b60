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
  type TMailLink,
} from "../../services/accounts/users";
import { appOrigin } from "../../auth/app-origin";
import {
  getSingleSignOn,
  saveSingleSignOn,
  ZSingleSignOnInput,
} from "../../services/accounts/single-sign-on";
import { adminProcedure, anyUserProcedure, createTRPCRouter } from "../trpc";

const mailLink = (headers: Headers, user: { name: string }): TMailLink => ({
  origin: appOrigin(headers),
  invitedBy: user.name,
});

export const usersRouter = createTRPCRouter({
  /** who is signed in, and their role: the UI hides what the role cannot do */
  me: anyUserProcedure.query(({ ctx }) => ctx.user),
  list: adminProcedure.query(() => listUsers()),
  create: adminProcedure
    .input(ZUserInput.extend({ sendEmail: z.boolean().default(false) }))
    .mutation(({ ctx, input }) =>
      createUser(input, input.sendEmail ? mailLink(ctx.headers, ctx.user) : undefined),
    ),
  update: adminProcedure
    .input(ZUpdateUserInput)
    .mutation(({ ctx, input }) => updateUser(ctx.user.id, input)),
  setDisabled: adminProcedure
    .input(z.object({ id: z.string().min(1), isDisabled: z.boolean() }))
    .mutation(({ ctx, input }) => setUserDisabled(ctx.user.id, input.id, input.isDisabled)),
  newPasswordLink: adminProcedure
    .input(z.object({ id: z.string().min(1), sendEmail: z.boolean().default(false) }))
    .mutation(({ ctx, input }) =>
      newPasswordLink(input.id, input.sendEmail ? mailLink(ctx.headers, ctx.user) : undefined),
    ),
  singleSignOn: adminProcedure.query(() => getSingleSignOn()),
  saveSingleSignOn: adminProcedure
    .input(ZSingleSignOnInput)
    .mutation(({ input }) => saveSingleSignOn(input)),
});
