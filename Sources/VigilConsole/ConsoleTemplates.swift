/// The console's Mustache templates and style sheet, compiled into the binary (no resource files to
/// lose in deployment). Data is only ever inserted with `{{ }}`, which HTML-escapes `< > & " '`;
/// triple braces are used only for `svg` values, which ``StackedBarChart`` and ``TimelineChart``
/// build with every text escaped (SVGCharts.swift); `{{& }}` is never used. Links are built from integer ids and validated hex
/// digests only, so no data reaches an `href` unchecked.
enum ConsoleTemplates {
    static let all: [String: String] = [
        "header": header, "footer": footer, "login": login, "overview": overview, "hosts": hosts, "host": host,
        "hash": hash, "feeds": feeds, "agents": agents, "audit": audit, "error": error,
        "users": ConsoleAdminTemplates.users, "tokens": ConsoleAdminTemplates.tokens,
    ]

    static let header = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Vigil</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/static/console.css">
        </head>
        <body>
        {{#user}}
        <header class="top">
          <a class="brand" href="/"><span class="mark">◆</span> Vigil <span class="sub">fleet console</span></a>
          <nav>{{#nav}}<a href="{{href}}"{{#active}} class="active" aria-current="page"{{/active}}>{{label}}</a>{{/nav}}</nav>
          <form class="logout" method="post" action="/logout">
            <span class="who">{{name}} <span class="role">{{role}}</span></span>
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit" class="ghost">Sign out</button>
          </form>
        </header>
        {{/user}}
        <main>
        {{#flash}}<p class="flash">{{.}}</p>{{/flash}}
        {{#problem}}<p class="problem">{{.}}</p>{{/problem}}

        """

    static let footer = """
        </main>
        <footer>Vigil · supply-chain compromise detection · times in UTC</footer>
        </body>
        </html>

        """

    static let login = """
        {{> header}}
        <section class="login card">
          <h1><span class="mark">◆</span> Vigil</h1>
          <p class="muted">Sign in to the fleet console.</p>
          <form method="post" action="/login">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <label>User name <input name="user" autocomplete="username" required maxlength="100" autofocus></label>
            <label>Password <input type="password" name="password" autocomplete="current-password" required maxlength="200"></label>
            <button type="submit">Sign in</button>
          </form>
        </section>
        {{> footer}}
        """

    static let findingsTable = """
        <table>
          <thead><tr><th>Severity</th><th>Host</th><th>Check</th><th>Path</th><th>Indicator</th><th>Last seen</th></tr></thead>
          <tbody>
          {{#findings}}
            <tr>
              <td class="nowrap"><span class="sev sev-{{severity}}">{{severity}}</span>{{#mark}}<div><span class="markt markt-{{status}}" title="{{by}}, {{at}}">{{label}}</span></div>{{/mark}}</td>
              <td class="nowrap"><a href="/hosts/{{hostID}}">{{hostname}}</a></td>
              <td><span class="mono">{{check}}</span>{{#technique}} <span class="tag">{{.}}</span>{{/technique}}<div class="muted small">{{title}}</div></td>
              <td class="mono wrap">{{path}}</td>
              <td class="mono wrap">{{#hashLink}}<a href="/hash/{{hashLink}}">{{indicator}}</a>{{/hashLink}}{{^hashLink}}{{indicator}}{{/hashLink}}</td>
              <td class="nowrap" title="{{lastSeen}}">{{lastSeenAgo}}</td>
            </tr>
          {{/findings}}
          {{^findings}}<tr><td colspan="6" class="empty">No findings.</td></tr>{{/findings}}
          </tbody>
        </table>
        """

    static let overview = """
        {{> header}}
        <h1>Overview</h1>
        <section class="stats">
          <div class="stat"><div class="num">{{hostCount}}</div><div class="label">hosts enrolled</div></div>
          {{#severities}}<div class="stat sevstat sev-{{name}}{{#zero}} zero{{/zero}}"><div class="num">{{count}}</div><div class="label">{{name}} findings</div></div>{{/severities}}
          <div class="stat{{#silentWarn}} warn{{/silentWarn}}"><div class="num">{{silentCount}}</div><div class="label">not seen in {{silentWindow}}</div></div>
          <div class="stat"><div class="num">{{feedCount}}</div><div class="label">feeds</div></div>
        </section>
        <section class="card" id="verdicts">
          <h2>Hosts per verdict</h2>
          {{#verdicts}}
          {{#problem}}<p class="muted">{{.}}</p>{{/problem}}
          {{#states}}<a class="stat vstat{{#zero}} zero{{/zero}}" href="/hosts?verdict={{state}}"><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="{{color}}"/></svg><span class="num">{{count}}</span> <span class="label">{{state}}</span></a>{{/states}}
          {{#svg}}<div class="chartbox">{{{svg}}}</div>
          <div class="legend">{{#states}}<span><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="{{color}}"/></svg> {{state}}</span>{{/states}}</div>{{/svg}}
          {{/verdicts}}
        </section>
        <section class="card">
          <h2>Newest findings</h2>
          \(findingsTable)
        </section>
        <section class="card" id="marks">
          <h2>Marked findings</h2>
          <p>{{#markCounts}}<span class="markt markt-{{status}}">{{count}} {{label}}</span> {{/markCounts}}</p>
          <table>
            <thead><tr><th>Mark</th><th>Host</th><th class="n">Finding</th><th>Note</th><th>By</th><th>When</th></tr></thead>
            <tbody>
            {{#recentMarks}}<tr><td><span class="markt markt-{{status}}">{{label}}</span></td><td><a href="/hosts/{{hostID}}#finding-{{findingID}}">{{hostname}}</a></td>
            <td class="n">{{findingID}}</td><td class="small">{{note}}</td><td>{{by}}</td><td title="{{at}}">{{ago}}</td></tr>{{/recentMarks}}
            {{^recentMarks}}<tr><td colspan="6" class="empty">No finding has been marked yet; analysts mark findings on a host's page.</td></tr>{{/recentMarks}}
            </tbody>
          </table>
        </section>
        <div class="columns">
        <section class="card">
          <h2>Feeds</h2>
          <table>
            <thead><tr><th>Feed</th><th>Format</th><th class="n">Indicators</th><th>Updated</th></tr></thead>
            <tbody>
            {{#feeds}}<tr><td>{{name}}</td><td>{{format}}</td><td class="n">{{count}}</td><td title="{{added}}"><span class="fresh fresh-{{freshness}}">{{addedAgo}}</span></td></tr>{{/feeds}}
            {{^feeds}}<tr><td colspan="4" class="empty">No feeds stored; the built-in 3CX indicators are in use.</td></tr>{{/feeds}}
            </tbody>
          </table>
        </section>
        <section class="card">
          <h2>Agents not seen in {{silentWindow}}</h2>
          <table>
            <thead><tr><th>Host</th><th>Agent</th><th>Last contact</th></tr></thead>
            <tbody>
            {{#silent}}<tr><td><a href="/hosts/{{id}}">{{hostname}}</a></td><td>{{agentVersion}}</td><td title="{{lastContact}}">{{lastContactAgo}}</td></tr>{{/silent}}
            {{^silent}}<tr><td colspan="3" class="empty">Every agent reported recently.</td></tr>{{/silent}}
            </tbody>
          </table>
        </section>
        </div>
        {{> footer}}
        """

    static let hosts = """
        {{> header}}
        <h1>Hosts</h1>
        <form class="search" method="get" action="/hosts">
          <input type="search" name="q" value="{{query}}" placeholder="Host name, identifier, address, file path or hash" maxlength="4096">
          <select name="in" aria-label="Search in">
            {{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}
          </select>
          <select name="verdict" aria-label="Verdict">
            {{#verdictOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/verdictOptions}}
          </select>
          <button type="submit">Search</button>
        </form>
        {{#searchNote}}<p class="muted">{{.}}</p>{{/searchNote}}
        {{#hostRows}}
        <table>
          <thead><tr><th class="n">Id</th><th>Host</th><th>Verdict</th><th>System</th><th>Agent</th><th>Addresses</th><th>Last contact</th></tr></thead>
          <tbody>
          {{#hosts}}
            <tr>
              <td class="n">{{id}}</td>
              <td><a href="/hosts/{{id}}">{{hostname}}</a><div class="muted small mono">{{hostIdentifier}}</div></td>
              <td>{{#verdict}}<span class="verdict verdict-{{.}}">{{.}}</span>{{/verdict}}{{^verdict}}<span class="muted small">none</span>{{/verdict}}</td>
              <td>{{os}} {{osVersion}}</td>
              <td>{{agentVersion}}</td>
              <td class="mono small">{{addresses}}</td>
              <td title="{{lastContact}}">{{lastContactAgo}}{{#keyRevoked}} <span class="tag bad">key revoked</span>{{/keyRevoked}}</td>
            </tr>
          {{/hosts}}
          {{^hosts}}<tr><td colspan="7" class="empty">No host matches.</td></tr>{{/hosts}}
          </tbody>
        </table>
        {{#next}}<p class="pager"><a class="button" href="{{.}}">Next page →</a></p>{{/next}}
        {{/hostRows}}
        {{#alsoLinks}}<p class="pager"><a href="{{href}}">{{label}}</a></p>{{/alsoLinks}}
        {{#fileRows}}
        <table>
          <thead><tr><th>Host</th><th>Path</th><th>SHA-256</th><th class="n">Size</th><th>Last seen</th></tr></thead>
          <tbody>
          {{#files}}
            <tr><td><a href="/hosts/{{hostID}}">{{hostname}}</a></td><td class="mono wrap">{{path}}</td>
            <td class="mono"><a href="/hash/{{sha256}}">{{sha256Short}}</a></td><td class="n">{{size}}</td><td title="{{lastSeen}}">{{lastSeenAgo}}</td></tr>
          {{/files}}
          {{^files}}<tr><td colspan="5" class="empty">No stored file matches.</td></tr>{{/files}}
          </tbody>
        </table>
        {{#next}}<p class="pager"><a class="button" href="{{.}}">Next page →</a></p>{{/next}}
        {{/fileRows}}
        {{> footer}}
        """

    static let host = """
        {{> header}}
        <h1>{{#host}}{{hostname}}{{/host}}</h1>
        {{#host}}
        <div class="columns">
        <section class="card">
          <h2>Facts</h2>
          <dl class="facts">
            <dt>Host id</dt><dd>{{id}}</dd>
            <dt>Identifier</dt><dd class="mono">{{hostIdentifier}}</dd>
            <dt>System</dt><dd>{{os}} {{osVersion}}</dd>
            <dt>Agent</dt><dd>{{agentVersion}}</dd>
            <dt>Enrolled</dt><dd>{{enrolledAt}}</dd>
            <dt>Last contact</dt><dd>{{lastContact}} ({{lastContactAgo}})</dd>
            <dt>Host key</dt><dd>{{#keyRevoked}}<span class="tag bad">revoked</span>{{/keyRevoked}}{{^keyRevoked}}current{{/keyRevoked}}</dd>
          </dl>
        </section>
        <section class="card" id="verdict">
          <h2>Verdict</h2>
          {{/host}}
          {{#verdict}}
          {{#problem}}<p class="muted">{{.}}</p>{{/problem}}
          {{#none}}<p class="muted">No verdict computed for this host yet.</p>{{/none}}
          {{#state}}<p><span class="verdict verdict-{{state}}">{{state}}</span> <span class="muted small">since {{since}}, computed {{computed}} (as of {{asOf}})</span></p>{{/state}}
          {{#hasReasons}}<h3>Reasons</h3>{{/hasReasons}}
          <ul class="reasons">
          {{#reasons}}<li><span class="tag mono">{{code}}</span> {{text}}{{#hasEvidence}}<ul class="small mono cites">{{#evidence}}<li>{{.}}</li>{{/evidence}}</ul>{{/hasEvidence}}</li>{{/reasons}}
          </ul>
          {{/verdict}}
          {{#host}}
        </section>
        </div>
        <section class="card">
          <h2>Addresses over time</h2>
          <table>
            <thead><tr><th>Address</th><th>First seen</th><th>Last seen</th></tr></thead>
            <tbody>
            {{#addressRows}}<tr><td class="mono">{{address}}</td><td>{{firstSeen}}</td><td>{{lastSeen}}</td></tr>{{/addressRows}}
            {{^addressRows}}<tr><td colspan="3" class="empty">No address reported.</td></tr>{{/addressRows}}
            </tbody>
          </table>
        </section>
        {{/host}}
        {{#verdict}}{{#state}}
        <section class="card" id="timeline">
          <h2>Timeline</h2>
          <div class="chartbox">{{{svg}}}</div>
          <div class="columns">
          <div>
          <h3>Network coverage</h3>
          {{#required}}<p class="small">Needed: {{.}}</p>{{/required}}
          {{#missing}}<p class="small problem">Not covered: {{.}}</p>{{/missing}}
          <table>
            <thead><tr><th>Sensor</th><th>Saw the host</th><th class="n">Rows</th><th>First record</th></tr></thead>
            <tbody>
            {{#coverage}}<tr><td>{{sensor}}</td><td class="small">{{period}}</td><td class="n">{{rows}}</td><td class="mono small wrap">{{first}}</td></tr>{{/coverage}}
            {{^coverage}}<tr><td colspan="4" class="empty">No sensor has seen this host.</td></tr>{{/coverage}}
            </tbody>
          </table>
          </div>
          <div>
          <h3>Verdict history</h3>
          <table>
            <thead><tr><th>When</th><th>From</th><th>To</th><th>Reasons</th></tr></thead>
            <tbody>
            {{#history}}<tr><td class="nowrap">{{at}}</td><td>{{from}}</td><td><span class="verdict verdict-{{to}}">{{to}}</span></td><td class="small mono">{{reasons}}</td></tr>{{/history}}
            </tbody>
          </table>
          </div>
          </div>
        </section>
        {{/state}}{{/verdict}}
        <section class="card">
          <h2>Files with findings</h2>
          <table>
            <thead><tr><th>Path</th><th>Worst</th><th class="n">Findings</th></tr></thead>
            <tbody>
            {{#files}}<tr><td class="mono wrap">{{path}}</td><td><span class="sev sev-{{severity}}">{{severity}}</span></td><td class="n">{{count}}</td></tr>{{/files}}
            {{^files}}<tr><td colspan="3" class="empty">No file of this host has a finding.</td></tr>{{/files}}
            </tbody>
          </table>
        </section>
        <section class="card" id="findings">
          <h2>Findings</h2>
          \(ConsoleAdminTemplates.hostFindingsTable)
        </section>
        {{> footer}}
        """

    static let hash = """
        {{> header}}
        <h1>{{kind}} <span class="mono">{{digest}}</span></h1>
        <section class="card">
          <h2>Indicator</h2>
          {{#indicator}}
          <p><span class="tag bad">known bad</span> {{summary}}</p>
          <table>
            <thead><tr><th>Feed</th><th>Source file</th><th class="n">Line</th><th>Description</th><th>First seen</th></tr></thead>
            <tbody>
            {{#provenance}}<tr><td>{{feed}}</td><td class="mono wrap">{{file}}</td><td class="n">{{line}}</td><td>{{description}}</td><td>{{firstSeen}}</td></tr>{{/provenance}}
            </tbody>
          </table>
          {{/indicator}}
          {{^indicator}}<p class="muted">No stored feed or built-in set lists this digest.</p>{{/indicator}}
        </section>
        <section class="card">
          <h2>Hosts holding it</h2>
          <table>
            <thead><tr><th>Host</th><th>Path</th><th class="n">Size</th><th>Signer</th><th>First seen</th><th>Last seen</th></tr></thead>
            <tbody>
            {{#hits}}<tr><td><a href="/hosts/{{hostID}}">{{hostname}}</a></td><td class="mono wrap">{{path}}</td><td class="n">{{size}}</td><td>{{signer}}</td><td>{{firstSeen}}</td><td>{{lastSeen}}</td></tr>{{/hits}}
            {{^hits}}<tr><td colspan="6" class="empty">No stored inventory holds a file with this digest.</td></tr>{{/hits}}
            </tbody>
          </table>
          {{#truncated}}<p class="muted">Only the first {{.}} files are shown here.</p>{{/truncated}}
          {{#more}}<p class="pager"><a class="button" href="{{.}}">The rest, page by page →</a></p>{{/more}}
        </section>
        {{> footer}}
        """

    static let feeds = """
        {{> header}}
        <h1>Feeds</h1>
        {{#result}}
        <section class="card result">
          <h2>Imported {{name}}</h2>
          <p>{{format}}: {{accepted}} indicators stored, {{rejected}} rejected, {{fresh}} new to this server.</p>
          <p>Retro-hunt across every stored inventory: <strong>{{hits}}</strong> matching files on <strong>{{hosts}}</strong> hosts,
          {{newFindings}} new findings ({{findings}} in all), in {{milliseconds}} ms.</p>
          {{#diagnosticCount}}
          <details><summary>{{diagnosticCount}} diagnostics{{#omitted}} (and {{.}} more){{/omitted}}</summary>
          <ul class="small">{{#diagnostics}}<li class="mono">{{.}}</li>{{/diagnostics}}</ul></details>
          {{/diagnosticCount}}
        </section>
        {{/result}}
        <section class="card">
          <h2>Stored feeds</h2>
          <table>
            <thead><tr><th>Feed</th><th>Format</th><th class="n">Indicators</th><th>Updated</th><th>Digest</th></tr></thead>
            <tbody>
            {{#feeds}}<tr><td>{{name}}</td><td>{{format}}</td><td class="n">{{count}}</td><td title="{{added}}"><span class="fresh fresh-{{freshness}}">{{addedAgo}}</span></td><td class="mono small">{{digestShort}}</td></tr>{{/feeds}}
            {{^feeds}}<tr><td colspan="5" class="empty">No feeds stored.</td></tr>{{/feeds}}
            </tbody>
          </table>
          <p class="muted small">Matching uses {{indicatorCount}} indicators in all{{#defaults}}, the built-in 3CX set included{{/defaults}}.</p>
        </section>
        <div class="columns">
        {{#canUpload}}
        <section class="card">
          <h2>Add or replace a feed</h2>
          <form method="post" action="/feeds" enctype="multipart/form-data">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <label>Feed name <input name="name" required maxlength="64" pattern="[A-Za-z0-9._\\-]{1,64}" placeholder="vendor-iocs"></label>
            <label>File <input type="file" name="file" required></label>
            <label>Format
              <select name="format">{{#formats}}<option value="{{.}}">{{.}}</option>{{/formats}}</select>
            </label>
            <button type="submit">Import and retro-hunt</button>
          </form>
        </section>
        {{/canUpload}}
        <section class="card">
          <h2>Blocklist download</h2>
          <p class="muted">The network indicators of every feed, as <code>vigil block</code> writes them.</p>
          <form method="get" action="/feeds/blocklist">
            <label>Format <select name="format">{{#blockFormats}}<option value="{{.}}">{{.}}</option>{{/blockFormats}}</select></label>
            <button type="submit">Download</button>
          </form>
        </section>
        </div>
        {{> footer}}
        """

    static let agents = """
        {{> header}}
        <h1>Agents</h1>
        {{#newSecret}}
        <section class="card result">
          <h2>Enrolment secret {{name}} created</h2>
          <p>Copy it now; the server keeps only its hash and cannot show it again.</p>
          <p class="secret mono">{{secret}}</p>
        </section>
        {{/newSecret}}
        <div class="columns">
        <section class="card">
          <h2>Agent versions</h2>
          <table>
            <thead><tr><th>Version</th><th class="n">Hosts</th></tr></thead>
            <tbody>
            {{#versions}}<tr><td>{{version}}</td><td class="n">{{hosts}}</td></tr>{{/versions}}
            {{^versions}}<tr><td colspan="2" class="empty">No host enrolled.</td></tr>{{/versions}}
            </tbody>
          </table>
        </section>
        <section class="card">
          <h2>Stopped reporting ({{silentWindow}})</h2>
          <table>
            <thead><tr><th>Host</th><th>Agent</th><th>Last contact</th></tr></thead>
            <tbody>
            {{#silent}}<tr><td><a href="/hosts/{{id}}">{{hostname}}</a></td><td>{{agentVersion}}</td><td title="{{lastContact}}">{{lastContactAgo}}</td></tr>{{/silent}}
            {{^silent}}<tr><td colspan="3" class="empty">Every agent reported recently.</td></tr>{{/silent}}
            </tbody>
          </table>
        </section>
        </div>
        <section class="card">
          <h2>Enrolment secrets</h2>
          {{#isAdmin}}
          <table>
            <thead><tr><th class="n">Id</th><th>Name</th><th>Created</th><th>State</th><th></th></tr></thead>
            <tbody>
            {{#secrets}}
              <tr><td class="n">{{id}}</td><td>{{name}}</td><td>{{created}}</td>
              <td>{{#revoked}}<span class="tag">revoked {{.}}</span>{{/revoked}}{{^revoked}}<span class="tag good">active</span>{{/revoked}}</td>
              <td>{{^revoked}}<form method="post" action="/agents/secrets/{{id}}/revoke" class="inline">
                <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger">Revoke</button></form>{{/revoked}}</td></tr>
            {{/secrets}}
            {{^secrets}}<tr><td colspan="5" class="empty">No enrolment secret yet.</td></tr>{{/secrets}}
            </tbody>
          </table>
          <form method="post" action="/agents/secrets" class="row">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <label>New secret for <input name="name" required maxlength="200" placeholder="laptops"></label>
            <button type="submit">Create secret</button>
          </form>
          {{/isAdmin}}
          {{^isAdmin}}<p class="muted">Only administrators see and manage enrolment secrets.</p>{{/isAdmin}}
        </section>
        {{> footer}}
        """

    static let audit = """
        {{> header}}
        <h1>Audit log</h1>
        <section class="card">
          <table>
            <thead><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Detail</th></tr></thead>
            <tbody>
            {{#entries}}<tr><td>{{at}}</td><td>{{actor}}</td><td class="mono">{{action}}</td><td>{{target}}</td><td class="small">{{detail}}</td></tr>{{/entries}}
            {{^entries}}<tr><td colspan="5" class="empty">Nothing recorded yet.</td></tr>{{/entries}}
            </tbody>
          </table>
        </section>
        {{> footer}}
        """

    static let error = """
        {{> header}}
        <section class="card">
          <h1>{{heading}}</h1>
          <p>{{message}}</p>
          <p><a href="/">Back to the overview</a></p>
        </section>
        {{> footer}}
        """

    static let stylesheet = """
        :root { --bg:#f4f6f9; --card:#fff; --ink:#1c2430; --muted:#667085; --line:#e4e7ec; --brand:#0f2a47; --accent:#2563eb;
                --crit:#b42318; --high:#dc6803; --med:#ca8a04; --low:#2563eb; --info:#667085; }
        * { box-sizing:border-box; }
        body { margin:0; font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; background:var(--bg); color:var(--ink); }
        a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
        header.top { display:flex; align-items:center; gap:24px; background:var(--brand); color:#fff; padding:0 24px; height:56px; }
        .brand { color:#fff; font-weight:700; font-size:17px; letter-spacing:.2px; white-space:nowrap; }
        .brand .sub { font-weight:400; opacity:.7; font-size:13px; margin-left:4px; }
        .mark { color:#60a5fa; }
        nav { display:flex; gap:4px; flex:1; }
        nav a { color:#cbd5e1; padding:6px 12px; border-radius:6px; }
        nav a:hover { background:rgba(255,255,255,.08); text-decoration:none; color:#fff; }
        nav a.active { background:rgba(255,255,255,.14); color:#fff; }
        form.logout { display:flex; align-items:center; gap:12px; margin:0; }
        .who { font-size:13px; color:#e2e8f0; } .role { background:rgba(255,255,255,.15); border-radius:10px; padding:1px 8px; margin-left:4px; font-size:12px; }
        main { max-width:1280px; margin:0 auto; padding:24px; }
        h1 { font-size:22px; margin:4px 0 18px; } h2 { font-size:15px; margin:0 0 12px; }
        .card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:18px 20px; margin-bottom:18px; box-shadow:0 1px 2px rgba(16,24,40,.04); overflow-x:auto; }
        .placeholder { border-style:dashed; background:#fafbfc; }
        .columns { display:grid; grid-template-columns:repeat(auto-fit,minmax(420px,1fr)); gap:18px; }
        .columns > .card { margin-bottom:18px; }
        .stats { display:grid; grid-template-columns:repeat(auto-fit,minmax(140px,1fr)); gap:14px; margin-bottom:18px; }
        .stat { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; border-top:3px solid var(--brand); }
        .stat .num { font-size:26px; font-weight:700; } .stat .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.4px; }
        .stat.sev-critical { border-top-color:var(--crit); } .stat.sev-high { border-top-color:var(--high); } .stat.sev-medium { border-top-color:var(--med); }
        .stat.sev-low { border-top-color:var(--low); } .stat.sev-info { border-top-color:var(--info); } .stat.warn { border-top-color:var(--high); }
        table { width:100%; border-collapse:collapse; }
        th { text-align:left; font-size:12px; text-transform:uppercase; letter-spacing:.4px; color:var(--muted); font-weight:600; border-bottom:1px solid var(--line); padding:8px 10px; }
        td { border-bottom:1px solid var(--line); padding:8px 10px; vertical-align:top; }
        tr:last-child td { border-bottom:none; }
        .n { text-align:right; font-variant-numeric:tabular-nums; }
        .mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12.5px; }
        .nowrap { white-space:nowrap; } .stat.zero .num { color:#98a2b3; }
        .wrap { word-break:break-all; } .small { font-size:12px; } .muted { color:var(--muted); } .empty { color:var(--muted); text-align:center; padding:18px; }
        .sev { display:inline-block; border-radius:10px; padding:1px 9px; font-size:12px; font-weight:600; color:#fff; text-transform:capitalize; }
        .sev-critical.sev { background:var(--crit); } .sev-high.sev { background:var(--high); } .sev-medium.sev { background:var(--med); }
        .sev-low.sev { background:var(--low); } .sev-info.sev { background:var(--info); }
        .tag { display:inline-block; border-radius:10px; padding:0 8px; font-size:12px; background:#eef2f6; color:#344054; }
        .tag.bad { background:#fee4e2; color:var(--crit); } .tag.good { background:#dcfae6; color:#067647; }
        .fresh { padding:1px 8px; border-radius:10px; font-size:12px; } .fresh-fresh { background:#dcfae6; color:#067647; }
        .fresh-aging { background:#fef0c7; color:#93370d; } .fresh-stale { background:#fee4e2; color:var(--crit); }
        label { display:block; margin:0 0 12px; font-weight:500; }
        input, select { display:block; margin-top:4px; width:100%; padding:8px 10px; border:1px solid #d0d5dd; border-radius:6px; font:inherit; background:#fff; }
        input[type=file] { padding:6px; }
        button, .button { display:inline-block; background:var(--accent); color:#fff; border:0; border-radius:6px; padding:8px 16px; font:inherit; font-weight:600; cursor:pointer; }
        button:hover, .button:hover { background:#1d4ed8; text-decoration:none; }
        button.ghost { background:transparent; border:1px solid rgba(255,255,255,.35); padding:5px 12px; font-weight:500; }
        button.danger { background:#fff; color:var(--crit); border:1px solid #fda29b; padding:4px 12px; }
        form.search { display:flex; gap:10px; margin-bottom:16px; } form.search input { flex:1; margin:0; } form.search select { width:180px; margin:0; }
        form.row { display:flex; gap:10px; align-items:flex-end; margin-top:14px; } form.row label { flex:1; margin:0; }
        form.inline { margin:0; }
        .login { max-width:380px; margin:80px auto; padding:28px; } .login h1 { font-size:26px; margin-bottom:4px; }
        .login button { width:100%; margin-top:6px; }
        .flash { background:#dcfae6; border:1px solid #abefc6; color:#067647; padding:10px 14px; border-radius:8px; }
        .problem { background:#fee4e2; border:1px solid #fda29b; color:var(--crit); padding:10px 14px; border-radius:8px; }
        .secret { background:#0f172a; color:#e2e8f0; padding:10px 14px; border-radius:6px; word-break:break-all; }
        dl.facts { display:grid; grid-template-columns:140px 1fr; gap:6px 12px; margin:0; } dt { color:var(--muted); } dd { margin:0; }
        .pager { text-align:right; }
        .markt { display:inline-block; border-radius:10px; padding:0 8px; font-size:11.5px; margin-top:3px; background:#eef2f6; color:#344054; }
        .markt-confirmed { background:#fee4e2; color:var(--crit); } .markt-false-positive { background:#eef2f6; color:#475467; }
        .markt-resolved { background:#dcfae6; color:#067647; }
        form.markform { display:flex; gap:6px; margin-top:6px; } form.markform select, form.markform input { margin:0; padding:4px 6px; font-size:12px; }
        form.markform select { width:auto; } form.markform button { padding:4px 10px; font-size:12px; }
        .userforms { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-end; } .userforms form { display:flex; gap:6px; margin:0; align-items:center; }
        .userforms input, .userforms select { margin:0; padding:4px 8px; width:auto; font-size:12.5px; } .userforms button { padding:4px 10px; font-size:12.5px; }
        .chart { width:100%; height:auto; display:block; } .chart text { font:11px system-ui,sans-serif; fill:#475467; }
        .legend { display:flex; gap:14px; flex-wrap:wrap; font-size:12px; color:var(--muted); margin-top:6px; }
        .legend .sw { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
        a.vstat { display:inline-flex; align-items:baseline; gap:6px; border:1px solid var(--line); border-radius:8px; padding:8px 14px; margin:0 8px 8px 0; color:var(--ink); }
        a.vstat .num { font-size:22px; font-weight:700; } a.vstat.zero .num { color:#98a2b3; } a.vstat:hover { border-color:var(--accent); text-decoration:none; }
        .chartbox { margin-top:8px; } h3 { font-size:13px; margin:14px 0 8px; color:var(--muted); text-transform:uppercase; letter-spacing:.4px; }
        ul.reasons { padding-left:18px; } ul.reasons > li { margin-bottom:8px; } ul.cites { color:var(--muted); padding-left:16px; margin:4px 0 0; }
        .verdict { display:inline-block; border-radius:10px; padding:1px 10px; font-size:12px; font-weight:600; color:#fff; background:#667085; }
        .verdict-active { background:#b42318; } .verdict-dormant { background:#dc6803; } .verdict-unknown-activity { background:#ca8a04; }
        .verdict-contact-only { background:#9e3fbf; } .verdict-exposed { background:#2563eb; } .verdict-clean { background:#067647; }
        footer { text-align:center; color:var(--muted); font-size:12px; padding:12px 0 28px; }

        """
}
