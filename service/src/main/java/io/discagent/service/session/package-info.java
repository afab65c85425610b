/**
 * Service sessions: each a session of the agent kept alive by a lease (heartbeats) or by the connection that opened it.
 */
@NullMarked
package io.discagent.service.session;

import org.jspecify.annotations.NullMarked;
