"""Vietnamese for check-ins (issue #7)."""

VI = {
    "Please send a photo, or press **Skip**.": "Bạn hãy gửi một ảnh, hoặc bấm **Bỏ qua**.",
    "(skipped)": "(bỏ qua)",
    "Please answer yes or no (“có” or “không”).": "Bạn hãy trả lời “có” hoặc “không”.",
    "Please choose one of the options.": "Bạn hãy chọn một trong các phương án.",
    "Please press the options that apply, then **Done**.": "Bạn hãy bấm chọn các phương án đúng, rồi bấm **Xong**.",
    "Please type a number from {lo} to {hi}.": "Bạn hãy gõ một số từ {lo} đến {hi}.",
    "Please type a date like 15/06/2025.": "Bạn hãy gõ ngày theo dạng 15/06/2025.",
    "The date cannot be in the future.": "Ngày này không thể ở tương lai.",
    "Yes": "Có",
    "(none)": "(không có)",
    "⏰ Reminder: the union is still waiting for your answers to **{title}**.":
        "⏰ Nhắc nhở: Hội vẫn đang chờ câu trả lời của bạn cho **{title}**.",
    "Type /baocao to start (answers are open until {when}).":
        "Gõ /baocao để bắt đầu (nhận câu trả lời đến {when}).",
    "Please type your answer.": "Bạn hãy gõ câu trả lời.",
    "Please keep it under {n} characters.": "Bạn hãy viết ngắn hơn {n} ký tự.",
    "Please type a number, for example 12 or 2,5.": "Bạn hãy gõ một con số, ví dụ 12 hoặc 2,5.",
    "That date does not exist; please check it.": "Ngày này không có thật; bạn kiểm tra lại nhé.",
    "📋 **{title}**": "📋 **{title}**",
    "**Progress check-ins** — press one to start:": "**Báo cáo tiến độ** — bấm vào để bắt đầu:",
    "**Please check your answers:**": "**Bạn kiểm tra lại câu trả lời:**",
    "Progress check-in (report)": "Báo cáo tiến độ",
    "There is no check-in for you right now. Check-ins are for cooperatives, groups and businesses with OCOP products and for union officials: if that is you, set your role in /hoso.":
        "Hiện chưa có báo cáo nào dành cho bạn. Báo cáo dành cho HTX, tổ hợp tác, doanh nghiệp có "
        "sản phẩm OCOP và cán bộ Hội: nếu bạn thuộc nhóm đó, hãy chọn vai trò trong /hoso.",
    "You sent **{title}** for {period} on {when}. Thank you!":
        "Bạn đã gửi **{title}** kỳ {period} lúc {when}. Cảm ơn bạn!",
    "**Question {n}.**": "**Câu {n}.**",
    "_Your answer so far: {value}_": "_Câu trả lời hiện tại: {value}_",
    "This check-in has closed. Thank you all the same!": "Đợt báo cáo này đã đóng. Dù sao cũng cảm ơn bạn!",
    "Press **Send** to send your answers, or **Back** to change one.":
        "Bấm **Gửi** để gửi câu trả lời, hoặc **Quay lại** để sửa.",
    "Please answer in text.": "Bạn hãy trả lời bằng chữ.",
    "Saved. Type /baocao whenever you like to continue where you left off.":
        "Đã lưu. Lúc nào tiện, gõ /baocao để làm tiếp từ chỗ đang dừng.",
    "You have an unfinished check-in: **{title}**.": "Bạn có một báo cáo đang làm dở: **{title}**.",
    "Answer again": "Trả lời lại",
    "_Send a photo._": "_Gửi một ảnh._",
    "Send": "Gửi",
    "Sent. Thank you! Your answers help the union report on the programme and support your work.":
        "Đã gửi. Cảm ơn bạn! Câu trả lời giúp Hội báo cáo Đề án và hỗ trợ công việc của bạn.",
    "Continue": "Làm tiếp",
    "Please choose at least one option, then **Done**.": "Bạn hãy chọn ít nhất một phương án, rồi bấm **Xong**.",
    "Progress report": "Báo cáo",
    "has_ocop “{v}” must be 1 or 0": "has_ocop “{v}” phải là 1 hoặc 0",
    "{name} “{v}” is not a number": "{name} “{v}” không phải là số",
}
VI["_Or type one of these words._"] = "_Hoặc gõ một trong các chữ trên._"
