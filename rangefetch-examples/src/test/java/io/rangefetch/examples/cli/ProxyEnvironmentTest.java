package io.rangefetch.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which proxy the environment gives a URL: curl's rules, case by case. */
class ProxyEnvironmentTest {
  private static final URI HTTP = URI.create("http://files.example.org/a.iso");
  private static final URI HTTPS = URI.create("https://files.example.org/a.iso");

  private static String chosen(Map<String, String> env, URI url) {
    return new ProxyEnvironment(env).proxyFor(url)
        .map(c -> c.proxy() + " from " + c.variable()).orElse("direct");
  }

  @Test
  void httpUrl_usesLowerCaseHttpProxyOnly() {
    assertEquals("http://p:3128 from http_proxy", chosen(Map.of("http_proxy", "p:3128"), HTTP));
    assertEquals("direct", chosen(Map.of("HTTP_PROXY", "http://p:3128"), HTTP));
  }

  @Test
  void httpsUrl_usesHttpsProxyInEitherCase_lowerCaseFirst() {
    assertEquals("http://u:1 from HTTPS_PROXY", chosen(Map.of("HTTPS_PROXY", "http://u:1"), HTTPS));
    assertEquals("http://l:1 from https_proxy",
        chosen(Map.of("HTTPS_PROXY", "http://u:1", "https_proxy", "http://l:1"), HTTPS));
    assertEquals("direct", chosen(Map.of("http_proxy", "http://p:1"), HTTPS));
  }

  @Test
  void allProxy_isTheFallback_andTheSchemesOwnWins() {
    assertEquals("socks5h://s:1080 from all_proxy",
        chosen(Map.of("all_proxy", "socks5h://s:1080"), HTTPS));
    assertEquals("socks5h://s:1080 from ALL_PROXY",
        chosen(Map.of("ALL_PROXY", "socks5h://s:1080"), HTTP));
    assertEquals("http://h:1 from https_proxy",
        chosen(Map.of("all_proxy", "socks5h://s:1080", "https_proxy", "http://h:1"), HTTPS));
  }

  @Test
  void noProxy_matchesTheHostAndItsSubdomains_orEverythingWithAStar() {
    Map<String, String> env = Map.of("all_proxy", "http://p:1", "no_proxy", "intranet, .example.org");
    assertEquals("direct", chosen(env, HTTP));
    assertEquals("direct", chosen(env, URI.create("http://example.org/")));
    assertEquals("http://p:1 from all_proxy", chosen(env, URI.create("http://notexample.org/")));
    assertEquals("direct", chosen(Map.of("all_proxy", "http://p:1", "NO_PROXY", "*"), HTTP));
  }

  @Test
  void proxyOption_overridesTheEnvironment_andEmptyMeansNone() {
    ProxyEnvironment env = new ProxyEnvironment(Map.of("all_proxy", "http://p:1"));
    assertEquals(Optional.empty(), env.choose(Optional.of(""), HTTP));
    assertEquals("socks5://q:2", env.choose(Optional.of("socks5://q:2"), HTTP).orElseThrow()
        .proxy().toString());
  }

  @Test
  void malformedValue_namesTheVariable() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> chosen(Map.of("https_proxy", "http://bad host:1"), HTTPS));
    assertTrue(e.getMessage().startsWith("the environment variable https_proxy is not a proxy URL"),
        e.getMessage());
  }
}
