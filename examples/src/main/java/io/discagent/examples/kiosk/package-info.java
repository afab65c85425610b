/**
 * Media kiosks: several clients queueing for one drive, with live lock state.
 */
@NullMarked
package io.discagent.examples.kiosk;

import org.jspecify.annotations.NullMarked;
