/**
 * The events an agent publishes: lock transitions, timeouts, and device arrival, removal and media changes.
 */
@NullMarked
package io.discagent.api.event;

import org.jspecify.annotations.NullMarked;
