package io.discagent.service.fleet;

import io.discagent.api.RecorderId;

/**
 * A count granted on a recorder of another node of the fleet ({@link FleetNode#acquireRemote}).
 *
 * @param node the owning node
 * @param recorder the recorder, as its node names it
 * @param lockCount the requesting session's count there after this grant
 * @param holdId the hold's id on the owning node
 */
public record RemoteGrant(String node, RecorderId recorder, int lockCount, long holdId) {
}
