"""Vietnamese for the Zalo channel and account linking (issue #8).

Fill the catalog with ``python tools/translate.py vi tools/i18n/zalo.py``.
"""

VI = {
    "this terminal": "cửa sổ dòng lệnh này",
    "Link your Telegram and Zalo accounts": "Liên kết tài khoản Telegram và Zalo của bạn",
    "Link my other account (Telegram/Zalo)": "Liên kết tài khoản còn lại (Telegram/Zalo)",
    "Linked accounts: {names}; news comes on {chosen}": "Đã liên kết: {names}; tin gửi qua {chosen}",
    "News on {name}": "Nhận tin qua {name}",
    "Unlink my accounts": "Hủy liên kết tài khoản",
    "To link your accounts, first add your phone number here, then the same number on your "
    "other account.":
        "Để liên kết tài khoản, trước hết bạn thêm số điện thoại của mình ở đây, rồi thêm đúng số "
        "đó vào tài khoản còn lại.",
    "Your link code is **{code}** (valid {minutes} minutes).\n\nOpen the bot on your other "
    "account (Telegram or Zalo) and send: **liên kết {code}**\n\nThe other account must have the "
    "same phone number in its profile. Do not give this code to anyone.":
        "Mã liên kết của bạn là **{code}** (dùng được trong {minutes} phút).\n\nMở trợ lý trên tài "
        "khoản còn lại (Telegram hoặc Zalo) và gửi: **liên kết {code}**\n\nHồ sơ của tài khoản đó "
        "phải có cùng số điện thoại. Đừng đưa mã này cho bất kỳ ai.",
    "Send the 6-digit code from your other account, for example: liên kết 123456. To get a code, "
    "press **Link my other account** in /hoso there.":
        "Bạn hãy gửi mã 6 chữ số lấy từ tài khoản còn lại, ví dụ: liên kết 123456. Để lấy mã, vào "
        "/hoso trên tài khoản đó và bấm **Liên kết tài khoản còn lại**.",
    "First add the same phone number as on your other account to this profile, then send the "
    "code again.":
        "Trước hết bạn thêm vào hồ sơ này đúng số điện thoại như ở tài khoản còn lại, rồi gửi lại "
        "mã.",
    "That code is wrong or has expired, or the two accounts do not have the same phone number. "
    "Make a new code in /hoso on your other account.":
        "Mã này sai hoặc đã hết hạn, hoặc hai tài khoản không cùng số điện thoại. Bạn hãy lấy mã "
        "mới trong /hoso trên tài khoản còn lại.",
    "Your accounts are linked. Where would you like to receive the union's news?":
        "Tài khoản của bạn đã được liên kết. Bạn muốn nhận tin của Hội qua đâu?",
    "From now on the union's news comes to you on {name} only.":
        "Từ nay tin của Hội chỉ gửi cho bạn qua {name}.",
    "Your accounts are no longer linked. Each account that subscribed receives the news.":
        "Tài khoản của bạn đã được hủy liên kết. Mỗi tài khoản đã đăng ký đều nhận tin.",
}
