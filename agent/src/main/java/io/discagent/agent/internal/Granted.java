package io.discagent.agent.internal;

import io.discagent.api.LockGrant;

/** A grant together with the hold it belongs to (internal: leases use the hold to learn of a loss). */
record Granted(LockGrant grant, Hold hold) {
}
