package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.platform.win32.Variant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The OLE readers against memory written by jna-platform's own structures, on this platform. */
class ComMemoryTests {

    @ParameterizedTest
    @ValueSource(strings = {"{27354131-7F64-5B0F-8F00-5D77AFBE261E}", "{00020400-0000-0000-C000-000000000046}",
            "{B196B284-BAB4-101A-B69C-00AA00341D07}", "{FFFFFFFF-8000-0001-FF00-0123456789AB}"})
    void guidsReadAsJnaWritesThem(String guid) {
        assertThat(ComMemory.readGuid(NativeCom.guid(guid).getPointer())).isEqualTo(guid);
    }

    @Test
    void aVariantIsAsLargeAsJnaMakesIt() {
        assertThat(ComMemory.VARIANT_SIZE).isEqualTo(new Variant.VARIANT().size());
        assertThat(ComMemory.VARIANT_SIZE).isEqualTo(Native.POINTER_SIZE == 8 ? 24 : 16);
    }

    @Test
    void aBstrVariantWrittenByJnaReadsBack() {
        NativeCom.Bstr bstr = new NativeCom.Bstr("D:\\");
        Memory array = NativeCom.variants(1);
        NativeCom.putBstr(array, 0, bstr);
        assertThat(ComMemory.variantString(array)).isEqualTo("D:\\");
    }

    @Test
    void aVariantHoldingAnotherVariantByReferenceReadsThrough() {
        NativeCom.Bstr bstr = new NativeCom.Bstr("E:\\");
        Memory inner = NativeCom.variants(1);
        NativeCom.putBstr(inner, 0, bstr);
        Memory outer = NativeCom.variants(1);
        outer.setShort(0, (short) (Variant.VT_VARIANT | Variant.VT_BYREF));
        outer.setPointer(ComMemory.VARIANT_VALUE_OFFSET, inner);
        assertThat(ComMemory.variantString(outer)).isEqualTo("E:\\");

        Memory loop = NativeCom.variants(1); // a reference to itself is not followed forever
        loop.setShort(0, (short) (Variant.VT_VARIANT | Variant.VT_BYREF));
        loop.setPointer(ComMemory.VARIANT_VALUE_OFFSET, loop);
        assertThat(ComMemory.variantString(loop)).isNull();
    }

    @Test
    void bstrsReadByTheirLengthPrefix() {
        NativeCom.Bstr bstr = new NativeCom.Bstr("a\u0000b"); // BSTRs may hold NUL characters
        assertThat(ComMemory.readBstr(bstr.pointer())).isEqualTo("a\u0000b");
        assertThat(ComMemory.readBstr(null)).isEmpty();
        bstr.memory.setInt(0, -2);
        assertThat(ComMemory.readBstr(bstr.pointer())).isNull();
        bstr.memory.setInt(0, 3);
        assertThat(ComMemory.readBstr(bstr.pointer())).isNull();
    }

    @Test
    void oleStringsEndAtTheirNul() {
        assertThat(ComMemory.readOleString(NativeCom.oleString("NotifyDeviceAdded"))).isEqualTo("NotifyDeviceAdded");
        assertThat(ComMemory.readOleString(null)).isNull();
    }

    @Test
    void dispParamsFieldsAreWhereCPutsThem() {
        Memory rgvarg = NativeCom.variants(2);
        NativeCom.DispParams params = new NativeCom.DispParams(rgvarg, 2, 0);
        assertThat(ComMemory.argumentCount(params.memory)).isEqualTo(2);
        assertThat(ComMemory.namedArgumentCount(params.memory)).isZero();
        assertThat(ComMemory.argument(params.memory, 1)).isEqualTo(rgvarg.share(ComMemory.VARIANT_SIZE));
    }
}
