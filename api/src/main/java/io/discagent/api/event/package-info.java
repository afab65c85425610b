/**
 * The events an agent publishes: lock transitions, timeouts, and device arrival, removal, media changes, tray
 * unlocks by other processes and eject requests, and burns.
 */
@NullMarked
package io.discagent.api.event;

import org.jspecify.annotations.NullMarked;
