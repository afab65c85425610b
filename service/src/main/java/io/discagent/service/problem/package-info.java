/**
 * The service's failure vocabulary: {@link io.discagent.service.problem.ProblemKind} (HTTP status, problem type,
 * title, CLI exit code and the agent exception types of each kind), {@link io.discagent.service.problem.ExitCode}
 * and {@link io.discagent.service.problem.ServiceProblem}. Every layer of the service maps from here.
 */
@NullMarked
package io.discagent.service.problem;

import org.jspecify.annotations.NullMarked;
