using System.Globalization;
using Datacrumbs.Messages.Unix;

namespace Datacrumbs.Daemon.Users;

/// <summary>
/// User names from uids through the C library (NSS: LDAP and SSSD answer as for every other
/// tool on the node). Virtual so that specs can name users that do not exist here.
/// </summary>
public class UserDirectory
{
    /// <summary>
    /// The user's name, or the uid as decimal text when the uid has no entry or the name is
    /// unprintable: the uid stays authoritative, the name is a label.
    /// </summary>
    public virtual string NameOf(uint uid) =>
        UnixAccounts.LookupUser(uid) is { Name: { Length: > 0 } name } && !name.Any(char.IsControl)
            ? name
            : uid.ToString(CultureInfo.InvariantCulture);
}
