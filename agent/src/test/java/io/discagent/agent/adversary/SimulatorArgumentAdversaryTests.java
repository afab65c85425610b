package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.RecorderId;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * "Bad input follows one convention: InvalidArgumentException (E_INVALIDARG, 0x80070057) naming the parameter". The
 * simulator's control panel is a product feature (demos, testing your application): its bad input is probed too.
 */
class SimulatorArgumentAdversaryTests {

    @Test
    void badInputToTheSimulatorIsATypedRecorderException() {
        try (Harness h = Harness.virtualTime()) {
            Map<String, Runnable> calls = new LinkedHashMap<>();
            calls.put("failNext(times=0)", () -> h.sim.failNext(SIM0, Operation.ACQUIRE, HResult.E_FAIL, 0));
            calls.put("failNext(times=-1)", () -> h.sim.failNext(SIM0, Operation.ACQUIRE, HResult.E_FAIL, -1));
            calls.put("failNext(null hresult)", () -> h.sim.failNext(SIM0, Operation.ACQUIRE, null, 1));
            calls.put("hangNext(times=0)", () -> h.sim.hangNext(SIM0, Operation.ACQUIRE, 0));
            calls.put("setLatency(negative)", () -> h.sim.setLatency(SIM0, Duration.ofMillis(-1)));
            calls.put("setOpenLatency(null)", () -> h.sim.setOpenLatency(null));
            calls.put("lockExternally(null owner)", () -> h.sim.lockExternally(SIM0, null));
            calls.put("failNext(unknown recorder)",
                    () -> h.sim.failNext(RecorderId.of("nope"), Operation.ACQUIRE, HResult.E_FAIL, 1));
            StringBuilder seen = new StringBuilder();
            int untyped = 0;
            for (Map.Entry<String, Runnable> call : calls.entrySet()) {
                try {
                    call.getValue().run();
                    seen.append(call.getKey()).append(" -> accepted\n");
                } catch (RuntimeException e) {
                    seen.append(call.getKey()).append(" -> ").append(e.getClass().getSimpleName()).append('\n');
                    if (!(e instanceof RecorderException)) {
                        untyped++;
                    }
                }
            }
            System.out.print(seen);
            assertThat(untyped).as("untyped failures for bad input:\n%s", seen).isZero();
        }
    }
}
