// How Moonraker writes a history job's id: its sequence number as six (or more) upper-case hex
// digits. Shared by the history component and the import of a Moonraker database.

export const formatJobId = (n: number): string => n.toString(16).toUpperCase().padStart(6, '0');
