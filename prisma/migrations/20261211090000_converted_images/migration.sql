-- AlterTable
ALTER TABLE "ImageItem" ADD COLUMN "convertedSha256" TEXT;
ALTER TABLE "ImageItem" ADD COLUMN "convertedBytes" INTEGER;
ALTER TABLE "ImageItem" ADD COLUMN "convertedCrc32" INTEGER;
ALTER TABLE "ImageItem" ADD COLUMN "convertedExtension" TEXT;
