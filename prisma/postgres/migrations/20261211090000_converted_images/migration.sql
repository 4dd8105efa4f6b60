-- AlterTable
ALTER TABLE "ImageItem" ADD COLUMN     "convertedSha256" TEXT,
ADD COLUMN     "convertedBytes" INTEGER,
ADD COLUMN     "convertedCrc32" INTEGER,
ADD COLUMN     "convertedExtension" TEXT;
