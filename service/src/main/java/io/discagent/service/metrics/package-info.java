/**
 * Prometheus metrics of the agent and the service.
 */
@NullMarked
package io.discagent.service.metrics;

import org.jspecify.annotations.NullMarked;
