/**
 * The JMH suite of discagent. Every benchmark class pairs the agent with a baseline measured in the same run (see
 * {@code benchmarks/README.md}); {@link io.discagent.benchmarks.Suite} runs them all and derives the ratios.
 *
 * <p>Threads: JMH's benchmark thread calls the public API the way an application would; the agent's event loop and
 * native workers are the agent's own threads; baselines use the bare executors named in each class.
 */
@NullMarked
package io.discagent.benchmarks;

import org.jspecify.annotations.NullMarked;
