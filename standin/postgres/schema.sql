-- The BarkBase schema both profiles start from (Prisma-style quoted names), before the
-- tenant-isolation fix and the performance indexes; compliant.sql and gaps.sql apply those.
CREATE TABLE "Tenant" (
    "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "name" text NOT NULL
);
CREATE TABLE "Owner" (
    "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenantId" uuid NOT NULL REFERENCES "Tenant"("id"),
    "name" text NOT NULL
);
CREATE TABLE "Pet" (
    "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenantId" uuid NOT NULL REFERENCES "Tenant"("id"),
    "name" text NOT NULL
);
CREATE TABLE "PetOwner" (
    "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "petId" uuid NOT NULL REFERENCES "Pet"("id"),
    "ownerId" uuid NOT NULL REFERENCES "Owner"("id")
);
CREATE TABLE "Booking" (
    "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "tenantId" uuid NOT NULL REFERENCES "Tenant"("id"),
    "petId" uuid NOT NULL REFERENCES "Pet"("id"),
    "startDate" date NOT NULL,
    "endDate" date NOT NULL
);
CREATE TABLE "CheckIn" (
    "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "bookingId" uuid NOT NULL,
    "checkInDate" timestamptz NOT NULL
);
CREATE TABLE "CheckOut" (
    "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "bookingId" uuid NOT NULL,
    "checkOutDate" timestamptz NOT NULL
);

-- Two tenants with a few pets, owners and stays each.
INSERT INTO "Tenant" ("name") VALUES ('Happy Paws Lodge'), ('Bark Avenue Kennels');
INSERT INTO "Owner" ("tenantId", "name")
    SELECT t."id", 'Owner ' || g FROM "Tenant" t, generate_series(1, 20) g;
INSERT INTO "Pet" ("tenantId", "name")
    SELECT t."id", 'Pet ' || g FROM "Tenant" t, generate_series(1, 30) g;
INSERT INTO "PetOwner" ("petId", "ownerId")
    SELECT p."id", (SELECT o."id" FROM "Owner" o WHERE o."tenantId" = p."tenantId" LIMIT 1)
    FROM "Pet" p;
INSERT INTO "Booking" ("tenantId", "petId", "startDate", "endDate")
    SELECT p."tenantId", p."id", DATE '2026-01-10', DATE '2026-01-14' FROM "Pet" p;
INSERT INTO "CheckIn" ("bookingId", "checkInDate")
    SELECT b."id", b."startDate" + TIME '09:00' FROM "Booking" b;
INSERT INTO "CheckOut" ("bookingId", "checkOutDate")
    SELECT b."id", b."endDate" + TIME '17:00' FROM "Booking" b;
