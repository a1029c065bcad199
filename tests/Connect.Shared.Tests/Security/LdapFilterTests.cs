using Connect.Shared.Security.Ldap;

namespace Connect.Shared.Tests.Security;

public sealed class LdapFilterTests
{
    [Theory]
    [InlineData("objectClass=person", "(&(objectClass=person)(uid=ann))")]
    [InlineData("(objectClass=person)", "(&(objectClass=person)(uid=ann))")]
    [InlineData("&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))",
        "(&(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))(uid=ann))")]
    public void The_base_filter_and_the_name_make_one_filter(string baseFilter, string expected) =>
        Assert.Equal(expected, LdapFilter.And(baseFilter, "uid", "ann"));

    [Fact]
    public void The_name_is_escaped_whatever_the_base() =>
        Assert.Equal(@"(&(objectClass=person)(uid=\2a\29\28uid=\2a))", LdapFilter.And("objectClass=person", "uid", "*)(uid=*"));

    [Fact]
    public void An_Active_Directory_objectGUID_is_matched_by_its_bytes_as_the_directory_keeps_them()
    {
        // objectGUID holds the GUID's bytes in .NET's own order (the first three fields little-endian).
        Assert.Equal(@"(&(objectClass=user)(objectGUID=\04\03\02\01\06\05\08\07\09\0a\0b\0c\0d\0e\0f\10))",
            LdapFilter.UniqueId("objectClass=user", "objectGUID", "01020304-0506-0708-090a-0b0c0d0e0f10"));
        // A text id (OpenLDAP's entryUUID) is an escaped value like any other.
        Assert.Equal("(&(objectClass=person)(entryUUID=01020304-0506-0708-090a-0b0c0d0e0f10))",
            LdapFilter.UniqueId("objectClass=person", "entryUUID", "01020304-0506-0708-090a-0b0c0d0e0f10"));
    }

    [Theory]
    [InlineData("objectClass=person", true)]
    [InlineData("(objectClass=person)", true)]
    [InlineData("&(objectClass=person)(!(employeeType=disabled))", true)]
    [InlineData("(|(objectClass=person)(objectClass=user))", true)]
    [InlineData("", false)]
    [InlineData("()", false)]
    [InlineData("(objectClass=person", false)]
    [InlineData("objectClass=person)", false)]
    [InlineData("(objectClass=person))(uid=*", false)]
    [InlineData("(cn=a)(cn=b)", false)]
    [InlineData("(cn=a)x", false)]
    public void A_configured_base_is_one_balanced_filter(string filter, bool wellFormed) =>
        Assert.Equal(wellFormed, LdapFilter.IsWellFormedBase(filter));
}
