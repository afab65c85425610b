package io.discagent.agent;

/**
 * Counts since the agent started. Readable from any thread without waiting for the event loop (for metrics
 * scrapers); each number is exact, but two numbers may be a moment apart.
 *
 * @param grants acquire requests granted (first and further counts)
 * @param retries attempts made again after the backend reported the recorder locked
 * @param acquireTimeouts acquire requests whose wait ran out
 * @param commandTimeouts native commands that did not return within the command timeout
 * @param removals recorders removed
 * @param waiting acquire requests queued now
 */
public record AgentStatistics(long grants, long retries, long acquireTimeouts, long commandTimeouts, long removals,
        long waiting) {
}
