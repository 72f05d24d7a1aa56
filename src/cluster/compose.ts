// The inputs docker-compose.yml renders the server config with (service names, not hosts).
// test/unit/cluster/compose.test.ts checks the compose file's inline config is exactly
// renderClusterConfig(COMPOSE_CLUSTER_INPUT) and that its images pin TEMPORAL_SERVER_VERSION.
import { type ClusterConfigInput, DEFAULT_HISTORY_SHARDS, DEFAULT_MEMBERSHIP_PORT } from './config.js';
import { parsePgUrl } from './pg-url.js';

export const COMPOSE_PG_URL = 'postgres://temporal:temporal@postgresql:5432/temporal';
/** Where the compose file mounts the rendered config (server --root /etc/temporal --config config/lanes --env lanes). */
export const COMPOSE_CONFIG_DIR = '/etc/temporal/config/lanes';

export const COMPOSE_CLUSTER_INPUT: ClusterConfigInput = {
  pg: parsePgUrl(COMPOSE_PG_URL),
  port: 7233,
  membershipPort: DEFAULT_MEMBERSHIP_PORT,
  // Listen on every interface of the container; the one-node ring talks over loopback.
  bindIp: '0.0.0.0',
  broadcastAddress: '127.0.0.1',
  historyShards: DEFAULT_HISTORY_SHARDS,
  dynamicConfigFile: `${COMPOSE_CONFIG_DIR}/dynamicconfig.yaml`,
};
