/**
 * The agent to embed: {@link io.discagent.agent.DiscAgent} and its options; the contract is in {@code io.discagent.api}.
 */
@NullMarked
package io.discagent.agent;

import org.jspecify.annotations.NullMarked;
