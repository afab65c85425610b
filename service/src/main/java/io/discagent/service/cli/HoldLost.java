package io.discagent.service.cli;

/**
 * Why a hold ended without its holder asking (the recorder was removed, the session closed or expired, the service
 * stopped answering heartbeats): what to tell the user, and the exit code the command ends with.
 *
 * @param message what happened, in a sentence
 * @param exitCode the {@link io.discagent.service.problem.ExitCode} for it: 4 for a removed recorder, 7 for a closed
 *     session or a lock the session no longer has, 3 when the service cannot be reached
 */
record HoldLost(String message, int exitCode) {
}
