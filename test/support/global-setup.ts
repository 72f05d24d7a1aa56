// Placeholder replaced below by the dev-server global setup.
export default async function setup(): Promise<void> {}
