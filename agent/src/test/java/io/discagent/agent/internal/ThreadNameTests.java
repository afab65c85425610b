package io.discagent.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import org.junit.jupiter.api.Test;

class ThreadNameTests {

    @Test
    void shortIdsNameTheirWorkerAsTheyAre() {
        assertThat(RecorderRegistry.threadName(RecorderId.of("sim-0"))).isEqualTo("discagent-native-sim-0");
        assertThat(RecorderRegistry.threadName(RecorderId.of("/dev/sr0"))).isEqualTo("discagent-native-_dev_sr0");
    }

    @Test
    void longIdsThatShareTheirEndsStillGetDistinctNames() {
        String suffix = "#{53f56308-b6bf-11d0-94f2-00a0c91efb8b}";
        RecorderId a = RecorderId.of("\\\\?\\scsi#cdrom&ven_hl-dt-st&prod_dvdram_gh24nsd1#5&1c7a4e2&0&000000" + suffix);
        RecorderId b = RecorderId.of("\\\\?\\scsi#cdrom&ven_hl-dt-st&prod_dvdram_gh24nsd1#5&1c7a4e2&0&010000" + suffix);
        assertThat(RecorderRegistry.threadName(a)).isNotEqualTo(RecorderRegistry.threadName(b));
        assertThat(RecorderRegistry.threadName(a)).startsWith("discagent-native-").hasSizeLessThanOrEqualTo(17 + 40);
    }
}
