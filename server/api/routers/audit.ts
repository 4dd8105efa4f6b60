import "server-only";
import { listAudit, ZAuditQuery } from "../../services/audit/audit";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const auditRouter = createTRPCRouter({
  list: adminProcedure.input(ZAuditQuery).query(({ input }) => listAudit(input)),
});
