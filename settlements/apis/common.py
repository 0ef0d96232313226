from accounts.choices import MemberRole
from pharmex.api.permissions import Members, Staff

# Money is read by the owner, finance and read-only members (operators run offers and orders), and by staff;
# the selectors show an organisation its own rows.
READS_MONEY = Members(MemberRole.OWNER, MemberRole.FINANCE, MemberRole.VIEWER) | Staff()
