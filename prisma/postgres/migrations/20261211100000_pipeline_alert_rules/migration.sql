-- AlterTable
ALTER TABLE "Pipeline" ADD COLUMN     "alertRules" TEXT NOT NULL DEFAULT '{}';

