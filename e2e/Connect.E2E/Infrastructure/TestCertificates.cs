using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Connect.E2E.Infrastructure;

/// <summary>
/// A certificate authority made for one test and a server certificate it signed for 127.0.0.1 and localhost, as PEM
/// files: what a directory or an OpenID provider on loopback serves, and what a client is told to trust.
/// </summary>
public sealed class TestCertificates
{
    private TestCertificates(string caFile, string certFile, string keyFile)
    {
        CaFile = caFile;
        CertFile = certFile;
        KeyFile = keyFile;
    }

    /// <summary>The authority's certificate: trust this and the server checks out.</summary>
    public string CaFile { get; }

    public string CertFile { get; }

    public string KeyFile { get; }

    public static TestCertificates Create(string folder, string name = "test")
    {
        Directory.CreateDirectory(folder);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest($"CN=Connect test CA {name} {Guid.NewGuid():N}", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(ca, now.AddDays(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(12));

        var certificates = new TestCertificates(Path.Combine(folder, $"{name}-ca.pem"), Path.Combine(folder, $"{name}-cert.pem"), Path.Combine(folder, $"{name}-key.pem"));
        File.WriteAllText(certificates.CaFile, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(certificates.CertFile, server.ExportCertificatePem() + "\n");
        File.WriteAllText(certificates.KeyFile, serverKey.ExportRSAPrivateKeyPem() + "\n");
        return certificates;
    }
}
