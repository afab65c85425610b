package io.discagent.agent.backend.simulated;

import io.discagent.api.RecorderId;

/**
 * One native call the simulated backend received.
 *
 * @param recorder the recorder
 * @param operation what was called: {@code open}, {@code acquire}, {@code release}, {@code owner}, {@code close},
 *     {@code enumerate}, {@code startHotplug}, {@code media}, {@code burn}, {@code write}, {@code read}
 * @param thread the name of the thread that made the call
 */
public record SimulatedCall(RecorderId recorder, String operation, String thread) {
}
