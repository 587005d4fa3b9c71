import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

/**
 * A control plane starts in seconds, but each test drives real controllers (StatefulSet,
 * EndpointSlice, Job, disruption) and, with CI=true, runs once per built Kubernetes version.
 * Nothing is built at test time: the binaries come from scripts/install-control-plane.sh.
 */
export default mergeConfig(shared, {
  test: {
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
