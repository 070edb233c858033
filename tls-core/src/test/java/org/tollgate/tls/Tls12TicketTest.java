package org.tollgate.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tollgate.tls.HandshakeSummary.Resumption;
import org.tollgate.tls.Tls12ResumptionTest.Connection;
import org.tollgate.tls.Tls12ResumptionTest.MovableClock;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/** TLS 1.2 session tickets (RFC 5077), client engine against server engine in memory, without a server cache. */
class Tls12TicketTest {
    private static final List<ProtocolVersion> ONLY_12 = List.of(ProtocolVersion.TLS_1_2);

    final SessionCache clientCache = SessionCache.create(10, Duration.ofHours(24));
    final MovableClock serverClock = new MovableClock();
    final TicketKeys keys = TicketKeys.generate(Duration.ofHours(12), serverClock, new SecureRandom());

    TlsConfig.Builder client() {
        return EnginePair.clientConfig().versions(ONLY_12).sessionCache(clientCache);
    }

    TlsConfig.Builder server() {
        return EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).ticketKeys(keys).clock(serverClock);
    }

    static Resumption resumption(Connection c) {
        assertEquals(c.client.summary().resumption(), c.server.summary().resumption(), "both sides agree");
        return c.client.summary().resumption();
    }

    @Test
    void aTicketResumesWithTheAbbreviatedHandshakeAndNoServerState() throws Exception {
        TlsConfig serverConfig = server().build();
        Connection full = new Connection(client(), serverConfig, "localhost", 443);
        assertEquals(Resumption.NONE, resumption(full));
        // RFC 5077 §3.3: NewSessionTicket comes after the client's Finished, before the server's Finished.
        List<String> names = full.clientMessages.names;
        assertEquals("NewSessionTicket", names.get(names.size() - 2), names.toString());
        SessionCache.Session cached = clientCache.get("localhost:443", Instant.now());
        assertNotNull(cached.ticket());
        full.exchangeData();

        Connection again = new Connection(client(), serverConfig, "localhost", 443);
        assertEquals(Resumption.TICKET, resumption(again));
        assertTrue(again.server.summary().oneLine().endsWith(" resumed=ticket"), again.server.summary().oneLine());
        assertEquals(List.of("ClientHello", "ServerHello", "Finished", "Finished"), again.clientMessages.names);
        assertEquals(full.client.summary().cipherSuite(), again.client.summary().cipherSuite());
        assertEquals(full.client.summary().peerCertificates(), again.client.summary().peerCertificates());
        again.exchangeData();
        // Tickets are stateless: the same one resumes again within its lifetime.
        assertEquals(Resumption.TICKET, resumption(new Connection(client(), serverConfig, "localhost", 443)));
    }

    @Test
    void aTicketFromAnUnknownKeyAGarbledOneOrAnExpiredOneGetsAFullHandshake() throws Exception {
        TlsConfig serverConfig = server().build();
        new Connection(client(), server().ticketKeys(TicketKeys.generate()).build(), "localhost", 443);
        Connection unknown = new Connection(client(), serverConfig, "localhost", 443);
        assertEquals(Resumption.NONE, resumption(unknown));
        unknown.exchangeData();
        assertEquals(Resumption.TICKET, resumption(new Connection(client(), serverConfig, "localhost", 443)));

        SessionCache.Session s = clientCache.get("localhost:443", Instant.now());
        byte[] garbled = s.ticket();
        garbled[garbled.length - 1] ^= 1;
        clientCache.put("localhost:443", new SessionCache.Session(s.id(), s.masterSecret(), s.cipherSuite(), s.version(),
                true, s.serverName(), s.alpn(), s.peerCertificates(), s.created(), garbled, 0, s.ticketLifetimeSeconds()));
        assertEquals(Resumption.NONE, resumption(new Connection(client(), serverConfig, "localhost", 443)));

        serverClock.now = serverClock.now.plus(Duration.ofHours(2)).plusSeconds(1); // past the 2 h default lifetime
        assertEquals(Resumption.NONE, resumption(new Connection(client(), serverConfig, "localhost", 443)));
        assertEquals(Resumption.TICKET, resumption(new Connection(client(), serverConfig, "localhost", 443)));
    }

    @Test
    void noTicketWithoutExtendedMasterSecretAndNoneForAClientWithoutACache() throws Exception {
        TlsConfig serverConfig = server().build();
        Connection noEms = new Connection(client().extendedMasterSecret(false), serverConfig, "localhost", 443);
        assertTrue(!noEms.clientMessages.names.contains("NewSessionTicket"), noEms.clientMessages.names.toString());
        assertNull(clientCache.get("localhost:443", Instant.now()));
        Connection noCache = new Connection(EnginePair.clientConfig().versions(ONLY_12), serverConfig, "localhost", 443);
        assertTrue(!noCache.clientMessages.names.contains("NewSessionTicket"), "a client without a cache asks for no ticket");
    }

    @Test
    void aTicketIsPreferredToTheSessionCacheAndEitherResumes() throws Exception {
        TlsConfig both = server().sessionCache(10, Duration.ofHours(1)).build();
        new Connection(client(), both, "localhost", 443);
        assertEquals(Resumption.TICKET, resumption(new Connection(client(), both, "localhost", 443)));
        TlsConfig cacheOnly = server().ticketKeys(null).sessionCache(10, Duration.ofHours(1)).build();
        new Connection(client(), cacheOnly, "localhost", 444);
        assertEquals(Resumption.SESSION_ID, resumption(new Connection(client(), cacheOnly, "localhost", 444)));
    }
}
