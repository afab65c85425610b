/**
 * The agent's events as JSON, with the replay buffer behind the SSE and WebSocket streams.
 */
@NullMarked
package io.discagent.service.events;

import org.jspecify.annotations.NullMarked;
