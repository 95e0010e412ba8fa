-- compliant: schema-fix-tenant-isolation.sql and add-performance-indexes.sql applied, foreign
-- keys validated. local.py runs ANALYZE after this, in a session of its own, once this
-- session's row counts have reached the statistics (else they would land after the ANALYZE
-- and count as changes since it).
ALTER TABLE "PetOwner" ADD COLUMN "tenantId" uuid;
UPDATE "PetOwner" po SET "tenantId" = p."tenantId" FROM "Pet" p WHERE p."id" = po."petId";
ALTER TABLE "CheckIn" ADD COLUMN "tenantId" uuid;
UPDATE "CheckIn" c SET "tenantId" = b."tenantId" FROM "Booking" b WHERE b."id" = c."bookingId";
ALTER TABLE "CheckOut" ADD COLUMN "tenantId" uuid;
UPDATE "CheckOut" c SET "tenantId" = b."tenantId" FROM "Booking" b WHERE b."id" = c."bookingId";

ALTER TABLE "CheckIn" ADD CONSTRAINT "CheckIn_bookingId_fkey"
    FOREIGN KEY ("bookingId") REFERENCES "Booking"("id") NOT VALID;
ALTER TABLE "CheckIn" VALIDATE CONSTRAINT "CheckIn_bookingId_fkey";
ALTER TABLE "CheckOut" ADD CONSTRAINT "CheckOut_bookingId_fkey"
    FOREIGN KEY ("bookingId") REFERENCES "Booking"("id");

CREATE INDEX "CheckIn_bookingId_checkInDate_idx" ON "CheckIn" ("bookingId", "checkInDate");
CREATE INDEX "CheckOut_bookingId_checkOutDate_idx" ON "CheckOut" ("bookingId", "checkOutDate");
CREATE INDEX "PetOwner_petId_ownerId_idx" ON "PetOwner" ("petId", "ownerId");
