import VigilIndicators

/// Host names shared by countless unrelated users: code hosting, CDNs, cloud storage, file sharing.
/// A URL indicator on one of them (the 3CX staging repository on `raw.githubusercontent.com`) names
/// one path, not the whole host: blocking the host would break builds, updates and web sites for
/// everyone. ``BlocklistBuilder`` sends such indicators only to URL-capable outputs (Suricata HTTP
/// rules, Zeek `Intel::URL`, CSV) and reports the decision.
///
/// The guard applies to the exact host (and its `www.` form). Tenant subdomains such as
/// `evil.workers.dev` or `bucket.s3.amazonaws.com` belong to one customer and may still be blocked.
public enum SharedInfrastructure {
    public static let hosts: Set<String> = [
        // code hosting
        "github.com", "raw.githubusercontent.com", "githubusercontent.com", "objects.githubusercontent.com",
        "gist.github.com", "gist.githubusercontent.com", "codeload.github.com", "api.github.com", "github.io",
        "gitlab.com", "bitbucket.org", "sourceforge.net", "downloads.sourceforge.net",
        // package registries
        "pypi.org", "files.pythonhosted.org", "registry.npmjs.org", "npmjs.com", "rubygems.org", "crates.io",
        "nuget.org", "api.nuget.org", "repo.maven.apache.org", "proxy.golang.org", "hub.docker.com", "docker.io",
        // CDNs
        "cloudflare.com", "cdnjs.cloudflare.com", "cloudfront.net", "akamai.net", "akamaihd.net", "akamaized.net",
        "akamaiedge.net", "edgekey.net", "edgesuite.net", "fastly.net", "fastly.com", "azureedge.net", "jsdelivr.net",
        "cdn.jsdelivr.net", "unpkg.com", "workers.dev", "pages.dev", "r2.dev", "vercel.app", "netlify.app",
        "herokuapp.com", "azurewebsites.net", "appspot.com", "firebaseapp.com", "web.app",
        // cloud storage
        "amazonaws.com", "s3.amazonaws.com", "blob.core.windows.net", "core.windows.net", "windows.net",
        "storage.googleapis.com", "googleapis.com", "storage.cloud.google.com", "digitaloceanspaces.com",
        // file sharing and documents
        "drive.google.com", "docs.google.com", "google.com", "googleusercontent.com", "dropbox.com",
        "dl.dropboxusercontent.com", "dropboxusercontent.com", "onedrive.live.com", "1drv.ms", "sharepoint.com",
        "live.com", "microsoft.com", "mega.nz", "mediafire.com", "od.lk", "transfer.sh", "wetransfer.com",
        "box.com", "app.box.com", "icloud.com", "pastebin.com", "paste.ee", "discord.com", "cdn.discordapp.com",
        "discordapp.com", "t.me", "telegram.org", "archive.org", "bit.ly", "tinyurl.com",
    ]

    /// Whether `host` (normalised) is shared infrastructure that must not be blocked domain-wide.
    public static func isShared(_ host: String) -> Bool {
        hosts.contains(host) || (host.hasPrefix("www.") && hosts.contains(String(host.dropFirst(4))))
    }
}
