package io.rangefetch.server.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which URLs and addresses the server accepts. */
class UrlPolicyTest {

  @Test
  void privateAddressesAreRecognised() throws Exception {
    List<String> refused = List.of("127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1",
        "172.31.255.254", "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.255",
        "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fd00:ec2::254", "fc00::1", "::");
    List<String> allowed = List.of("8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1",
        "93.184.216.34", "2606:4700:4700::1111");

    for (String address : refused) {
      assertTrue(UrlPolicy.isPrivate(InetAddress.getByName(address)), address);
    }
    for (String address : allowed) {
      assertFalse(UrlPolicy.isPrivate(InetAddress.getByName(address)), address);
    }
  }

  @Test
  void addressFilterAcceptsEverythingUnlessBlocking() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    InetAddress global = InetAddress.getByName("8.8.8.8");

    assertTrue(new UrlPolicy(false).addressFilter().test(loopback));
    assertFalse(new UrlPolicy(true).addressFilter().test(loopback));
    assertTrue(new UrlPolicy(true).addressFilter().test(global));
  }

  @Test
  void literalPrivateAddressesAreBadUrlsWhenBlockingButNamesWaitForResolution() {
    UrlPolicy blocking = new UrlPolicy(true);

    for (String url : List.of("http://127.0.0.1/a", "http://[::1]:8080/a",
        "https://169.254.169.254/latest/meta-data/", "http://10.0.0.1/")) {
      CommandException e = assertThrows(CommandException.class, () -> blocking.check(url), url);
      assertEquals(ErrorCode.BAD_URL, e.code(), url);
    }
    assertEquals(URI.create("http://localhost/a"), blocking.check("http://localhost/a"));
    assertEquals(URI.create("http://127.0.0.1/a"), new UrlPolicy(false).check("http://127.0.0.1/a"));
  }

  @Test
  void credentialsAreLeftOutOfWhatIsShown() {
    assertEquals("https://example.org/a.iso",
        UrlPolicy.redact(URI.create("https://user:secret@example.org/a.iso")));
    assertEquals("https://example.org/a.iso?x=1",
        UrlPolicy.redact(URI.create("https://example.org/a.iso?x=1")));
  }
}
