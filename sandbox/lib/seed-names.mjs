// Distinct, realistic names and models for the fake's own seeded locks (its
// seed calls them all "Smart Device", model "Device" by "Generic").
// Seam reports a device's name in device.display_name and properties.name, and
// its make in properties.model.display_name / .manufacturer_display_name and
// properties.manufacturer (spec: components.schemas.device).
//
// Their PIN requirements (properties.supported_code_lengths, code_constraints) are the ones
// Seam's docs show, so the integration's checks can be tried (names too long, wrong lengths):
// - Patio Door: the sample of low-level-apis/smart-locks/access-codes/
//   access-code-requirements-for-door-locks.mdx: lengths 4-8, name_length 1-12;
// - Bathroom Door: the schlage_lock of api/locks/object.mdx (a Schlage Encode): lengths 4-8
//   (that example's name_length max 9 is left out: the tests' and the blueprint's guest code
//   names are longer).
// Garage Entry reports none (any length, Seam decides). Codes the sandbox picks for these locks
// have one of their lengths (createAccessCode in api.mjs).
const LENGTHS_4_TO_8 = [4, 5, 6, 7, 8]
const SEED_LOCKS = {
  august_device_1: { name: "Garage Entry", model: "Wi-Fi Smart Lock", manufacturer: "august", maker: "August" },
  august_device_2: {
    name: "Patio Door",
    model: "Smart Lock Pro",
    manufacturer: "august",
    maker: "August",
    requirements: {
      supported_code_lengths: LENGTHS_4_TO_8,
      code_constraints: [{ constraint_type: "name_length", min_length: 1, max_length: 12 }],
    },
  },
  schlage_device_id: {
    name: "Bathroom Door",
    model: "Encode Plus",
    manufacturer: "schlage",
    maker: "Schlage",
    requirements: {
      supported_code_lengths: LENGTHS_4_TO_8,
    },
  },
}

export const nameSeedLocks = (db) => {
  for (const device of db.getState().devices) {
    const seed = SEED_LOCKS[device.device_id]
    if (seed == null) continue
    db.updateDevice({
      device_id: device.device_id,
      display_name: seed.name,
      properties: {
        name: seed.name,
        appearance: { name: seed.name },
        manufacturer: seed.manufacturer,
        model: { display_name: seed.model, manufacturer_display_name: seed.maker },
        ...seed.requirements,
      },
    })
  }
}
