/**
 * The events an agent publishes: lock transitions, timeouts, and device arrival, removal, media changes, tray
 * unlocks by other processes and eject requests.
 */
@NullMarked
package io.discagent.api.event;

import org.jspecify.annotations.NullMarked;
