package io.discagent.agent.adversary;

import io.discagent.api.ClientSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The fixture most attacks start from: an agent on virtual time with two open sessions, Alpha and Beta. */
abstract class TwoSessions {

    Harness h;
    ClientSession a;
    ClientSession b;

    @BeforeEach
    void start() {
        h = Harness.virtualTime();
        a = h.session("Alpha");
        b = h.session("Beta");
    }

    @AfterEach
    void stop() {
        h.close();
    }
}
