/**
 * The backend SPI: blocking, free of Reactor and Vert.x types, and called only on the agent's native workers.
 */
@NullMarked
package io.discagent.agent.spi;

import org.jspecify.annotations.NullMarked;
