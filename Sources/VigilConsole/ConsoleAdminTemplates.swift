/// Templates of the finding marks, the users page and the API tokens page (same rules as
/// ``ConsoleTemplates``: data only through `{{ }}`, links from integer ids only).
enum ConsoleAdminTemplates {
    /// A host's findings with their marks and, for analysts and admins, the form to mark one.
    static let hostFindingsTable = """
        <table>
          <thead><tr><th>Severity</th><th>Check</th><th>Path</th><th>Indicator</th><th>Last seen</th><th>Mark</th></tr></thead>
          <tbody>
          {{#findings}}
            <tr id="finding-{{id}}">
              <td class="nowrap"><span class="sev sev-{{severity}}">{{severity}}</span></td>
              <td><span class="mono">{{check}}</span>{{#technique}} <span class="tag">{{.}}</span>{{/technique}}<div class="muted small">{{title}}</div></td>
              <td class="mono wrap">{{path}}</td>
              <td class="mono wrap">{{#hashLink}}<a href="/hash/{{hashLink}}">{{indicator}}</a>{{/hashLink}}{{^hashLink}}{{indicator}}{{/hashLink}}</td>
              <td class="nowrap" title="{{lastSeen}}">{{lastSeenAgo}}</td>
              <td>
                {{#mark}}<span class="markt markt-{{status}}">{{label}}</span> <span class="muted small">by {{by}}, <span title="{{at}}">{{ago}}</span></span>{{#note}}<div class="small">{{.}}</div>{{/note}}{{/mark}}
                {{^mark}}<span class="muted small">not marked</span>{{/mark}}
                {{#canMark}}
                <form method="post" action="/findings/{{id}}/mark" class="markform">
                  <input type="hidden" name="csrf" value="{{csrf}}">
                  <select name="status" aria-label="Mark finding {{id}} as">{{#markStatuses}}<option value="{{value}}">{{label}}</option>{{/markStatuses}}</select>
                  <input name="note" maxlength="1000" placeholder="Note" aria-label="Note for finding {{id}}">
                  <button type="submit">Mark</button>
                </form>
                {{/canMark}}
              </td>
            </tr>
          {{/findings}}
          {{^findings}}<tr><td colspan="6" class="empty">No findings.</td></tr>{{/findings}}
          </tbody>
        </table>
        """

    static let users = """
        {{> header}}
        <h1>Users</h1>
        <section class="card">
          <table>
            <thead><tr><th class="n">Id</th><th>Name</th><th>Role</th><th>Sign-in</th><th class="n">API tokens</th><th>Created</th><th>Change</th></tr></thead>
            <tbody>
            {{#users}}
              <tr id="user-{{id}}">
                <td class="n">{{id}}</td>
                <td>{{name}}{{#isSelf}} <span class="tag">you</span>{{/isSelf}}</td>
                <td>{{role}}</td>
                <td>{{#canSignIn}}<span class="tag good">password set</span>{{/canSignIn}}{{^canSignIn}}<span class="tag">disabled or API only</span>{{/canSignIn}}</td>
                <td class="n">{{activeTokens}}</td>
                <td class="nowrap">{{created}}</td>
                <td class="userforms">
                  {{^isSelf}}
                  <form method="post" action="/users/{{id}}/role">
                    <input type="hidden" name="csrf" value="{{csrf}}">
                    <select name="role" aria-label="Role of {{name}}">{{#roles}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/roles}}</select>
                    <button type="submit">Set role</button>
                  </form>
                  {{/isSelf}}
                  <form method="post" action="/users/{{id}}/password">
                    <input type="hidden" name="csrf" value="{{csrf}}">
                    <input type="password" name="password" placeholder="New password" autocomplete="new-password" required minlength="10" maxlength="200" aria-label="New password for {{name}}">
                    <input type="password" name="again" placeholder="Again" autocomplete="new-password" required minlength="10" maxlength="200" aria-label="New password for {{name}} again">
                    <button type="submit">Reset password</button>
                  </form>
                  {{^isSelf}}
                  <form method="post" action="/users/{{id}}/disable"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger">Disable</button></form>
                  <form method="post" action="/users/{{id}}/delete"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger">Delete</button></form>
                  {{/isSelf}}
                </td>
              </tr>
            {{/users}}
            </tbody>
          </table>
          <p class="muted small">Disabling clears the password, revokes every API token and ends every session; a new password lets the user sign in again.
          Administrators cannot change their own role, disable or delete themselves, so one administrator always remains.</p>
        </section>
        <section class="card">
          <h2>Add a user</h2>
          <form method="post" action="/users" class="row" id="add-user">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <label>Name <input name="name" required maxlength="100" autocomplete="off"></label>
            <label>Role <select name="role">{{#roles}}<option value="{{.}}">{{.}}</option>{{/roles}}</select></label>
            <label>Password <input type="password" name="password" required minlength="{{minimum}}" maxlength="200" autocomplete="new-password"></label>
            <label>Password again <input type="password" name="again" required minlength="{{minimum}}" maxlength="200" autocomplete="new-password"></label>
            <button type="submit">Add user</button>
          </form>
          <p class="muted small">Passwords are {{minimum}} to 200 bytes and stored as bcrypt hashes.</p>
        </section>
        {{> footer}}
        """

    static let tokens = """
        {{> header}}
        <h1>Your API tokens</h1>
        {{#newToken}}
        <section class="card result">
          <h2>API token {{name}} created</h2>
          <p>Copy it now; the server keeps only its hash and cannot show it again. Use it with <code>vigil fleet --token-file</code>.</p>
          <p class="secret mono" id="new-token">{{token}}</p>
        </section>
        {{/newToken}}
        <section class="card">
          <p class="muted">Tokens act for you with your role ({{role}}) on the fleet API, for <code>vigil fleet</code> and scripts.</p>
          <table>
            <thead><tr><th class="n">Id</th><th>Name</th><th>Created</th><th>State</th><th></th></tr></thead>
            <tbody>
            {{#tokens}}
              <tr><td class="n">{{id}}</td><td>{{name}}</td><td>{{created}}</td>
              <td>{{#revoked}}<span class="tag">revoked {{.}}</span>{{/revoked}}{{^revoked}}<span class="tag good">active</span>{{/revoked}}</td>
              <td>{{^revoked}}<form method="post" action="/tokens/{{id}}/revoke" class="inline">
                <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger">Revoke</button></form>{{/revoked}}</td></tr>
            {{/tokens}}
            {{^tokens}}<tr><td colspan="5" class="empty">No API token yet.</td></tr>{{/tokens}}
            </tbody>
          </table>
          <form method="post" action="/tokens" class="row">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <label>New token named <input name="name" required maxlength="200" placeholder="laptop"></label>
            <button type="submit">Create token</button>
          </form>
        </section>
        {{> footer}}
        """
}
