/**
 * The simulated backend (the default where no drive exists) and {@link io.discagent.agent.backend.simulated.Simulator}, its control for tests, demos and kiosks.
 */
@NullMarked
package io.discagent.agent.backend.simulated;

import org.jspecify.annotations.NullMarked;
