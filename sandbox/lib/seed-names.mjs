// Distinct, realistic names and models for the fake's own seeded locks (its
// seed calls them all "Smart Device", model "Device" by "Generic").
// Seam reports a device's name in device.display_name and properties.name, and
// its make in properties.model.display_name / .manufacturer_display_name and
// properties.manufacturer (spec: components.schemas.device).
const SEED_LOCKS = {
  august_device_1: { name: "Garage Entry", model: "Wi-Fi Smart Lock", manufacturer: "august", maker: "August" },
  august_device_2: { name: "Patio Door", model: "Smart Lock Pro", manufacturer: "august", maker: "August" },
  schlage_device_id: { name: "Bathroom Door", model: "Encode Plus", manufacturer: "schlage", maker: "Schlage" },
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
      },
    })
  }
}
