"""Vietnamese for the training area (issue #6)."""

VI = {
    "Registered": "Đã đăng ký",
    "Waiting list": "Danh sách chờ",
    "Cancelled": "Đã hủy",
    "Attended": "Có mặt",
    "Absent": "Vắng",
    "No.": "STT",
    "Registration no.": "Mã đăng ký",
    "Full name": "Họ và tên",
    "Organisation": "Tổ chức",
    "Status": "Trạng thái",
    "Registered on": "Ngày đăng ký",
    "Present (x)": "Có mặt (x)",
    "Rating (1-5)": "Đánh giá (1-5)",
    "Comment": "Góp ý",
    "Registrants": "Người đăng ký",
    "no course with id {id}": "không có khóa học số {id}",
    "Course": "Khóa học",
    "Starts": "Bắt đầu",
    "Venue": "Địa điểm",
    "Exported by": "Người xuất",
    "Exported at": "Thời điểm xuất",
    "the file is empty": "tệp trống",
    "the first row must name a column “Mã đăng ký”, “Số điện thoại” or “Họ và tên”":
        "dòng đầu phải có cột “Mã đăng ký”, “Số điện thoại” hoặc “Họ và tên”",
    "the course has not started yet; attendance comes after":
        "khóa học chưa bắt đầu; điểm danh sau khi học",
    "no registrant matches line(s) {lines}; nothing was changed (fix them, or import with --skip-unknown)":
        "không khớp người đăng ký nào ở dòng {lines}; chưa thay đổi gì (sửa các dòng đó, hoặc nhập "
        "với --skip-unknown)",
    "cannot read file {path}": "không đọc được tệp {path}",
    "{path}: more than {n} rows": "{path}: quá {n} dòng",
    "unknown format “{fmt}” (use xlsx or csv)": "định dạng “{fmt}” không hỗ trợ (dùng xlsx hoặc csv)",
    "{path}: cannot be read as a spreadsheet ({why})": "{path}: không đọc được như bảng tính ({why})",
    "{path}: only .csv or .xlsx files can be imported": "{path}: chỉ nhập được tệp .csv hoặc .xlsx",
    "{start} to {end}": "{start} đến {end}",
    "unknown course field “{name}”": "không có trường “{name}” của khóa học",
    "⏰ Today is your course. See you there!": "⏰ Hôm nay là buổi tập huấn của bạn. Hẹn gặp bạn!",
    "the course must end after it starts": "giờ kết thúc phải sau giờ bắt đầu",
    "registration must close before the course starts": "hạn đăng ký phải trước giờ bắt đầu",
    "For: {who}": "Dành cho: {who}",
    "Thank you for attending **{title}**. How useful was it for you, from 1 (not useful) to 5 (very useful)?":
        "Cảm ơn bạn đã tham dự **{title}**. Khóa học có ích với bạn thế nào, từ 1 (không có ích) "
        "đến 5 (rất có ích)?",
    "⏰ Reminder: your course is tomorrow.": "⏰ Nhắc lịch: ngày mai là buổi tập huấn của bạn.",
    "⏰ Reminder: your course is in {n} days.": "⏰ Nhắc lịch: còn {n} ngày nữa là buổi tập huấn của bạn.",
    "If you cannot come, please cancel so that someone on the waiting list can take your seat.":
        "Nếu không đến được, bạn hãy hủy đăng ký để người trong danh sách chờ được vào thay.",
    "the title must be 3 to 120 characters": "tên khóa học phải dài 3 đến 120 ký tự",
    "the description is {n} characters; keep it under 1500": "phần mô tả dài {n} ký tự; hãy giữ dưới 1500",
    "the venue must be 3 to 200 characters": "địa điểm phải dài 3 đến 200 ký tự",
    "the number of seats must be a whole number from 1 to {max}": "số chỗ phải là số nguyên từ 1 đến {max}",
    "a time is needed, such as 08:00 10/12/2026": "cần ghi thời gian, ví dụ 08:00 10/12/2026",
    "Registration closes {when}": "Hạn đăng ký: {when}",
    "Cancel my registration": "Hủy đăng ký",
    "Type /taphuan to see other courses.": "Gõ /taphuan để xem các khóa khác.",
    "“{field}” is required": "thiếu “{field}”",
    "{n} of {total} seats left": "Còn {n}/{total} chỗ",
    "Full ({n} on the waiting list)": "Đã đủ chỗ ({n} người trong danh sách chờ)",
    "A seat has become free and it is yours: you are now registered for this course.":
        "Đã có chỗ trống dành cho bạn: bạn đã được đăng ký vào khóa học này.",
    "We are sorry: this course has been cancelled.": "Rất tiếc: khóa học này đã bị hủy.",
    "New course, step 1 of 9: the **title** (for example _Lập hồ sơ sản phẩm OCOP_)?":
        "Tạo khóa học, bước 1/9: **tên khóa học** (ví dụ _Lập hồ sơ sản phẩm OCOP_)?",
    "Step 2 of 9: when does it **start**? (for example _08:00 10/12/2026_)":
        "Bước 2/9: **bắt đầu** lúc nào? (ví dụ _08:00 10/12/2026_)",
    "Step 3 of 9: when does it **end**? (a time such as _11:30_ for the same day, or a date and time)":
        "Bước 3/9: **kết thúc** lúc nào? (giờ như _11:30_ nếu cùng ngày, hoặc cả ngày và giờ)",
    "Step 4 of 9: the **venue** (hall and address)?": "Bước 4/9: **địa điểm** (hội trường và địa chỉ)?",
    "Step 5 of 9: which **commune or ward** is it in?": "Bước 5/9: ở **xã/phường** nào?",
    "Step 6 of 9: how many **seats**?": "Bước 6/9: bao nhiêu **chỗ**?",
    "Step 7 of 9: **who** may sign up? Roles separated by commas, for example _official, coop, group_ — or press **Skip** for everyone.":
        "Bước 7/9: **ai** được đăng ký? Ghi các vai trò cách nhau bằng dấu phẩy, ví dụ _official, "
        "coop, group_ — hoặc bấm **Bỏ qua** để mở cho mọi người.",
    "Step 8 of 9: when does **registration close**? Press **Skip** to close it when the course starts.":
        "Bước 8/9: **hạn đăng ký** lúc nào? Bấm **Bỏ qua** để đóng đăng ký khi khóa học bắt đầu.",
    "Step 9 of 9: a short **description** (what people will learn, what to bring)?":
        "Bước 9/9: **mô tả** ngắn (học gì, cần mang theo gì)?",
    "**Courses** (from the last 60 days on):": "**Các khóa học** (từ 60 ngày trước đến nay):",
    "No courses yet.": "Chưa có khóa học nào.",
    "**Course no. {id}** — {summary}": "**Khóa học số {id}** — {summary}",
    "**Registrants of {title}**": "**Danh sách đăng ký {title}**",
    "**Attendance** — press a name to mark them present (✅) or absent (❌). For a large course, import the sign-in sheet: `python -m bot courses attendance {id} --file sheet.xlsx`.":
        "**Điểm danh** — bấm vào tên để đánh dấu có mặt (✅) hoặc vắng (❌). Lớp đông thì nhập "
        "bảng ký tên: `python -m bot courses attendance {id} --file sheet.xlsx`.",
    "Attendance saved: {present} present, {absent} absent. Those present get a short feedback question.":
        "Đã lưu điểm danh: {present} có mặt, {absent} vắng. Người có mặt sẽ nhận một câu hỏi "
        "đánh giá ngắn.",
    "Registrants of **{title}**: {n} row(s).": "Danh sách đăng ký **{title}**: {n} dòng.",
    "The course is cancelled; {n} person(s) will be told.": "Đã hủy khóa học; sẽ báo cho {n} người.",
    "Course no. {id} is created. Members see it with /taphuan; announce it with /guitin.":
        "Đã tạo khóa học số {id}. Hội viên xem bằng /taphuan; thông báo bằng /guitin.",
    "Which course's registrants?": "Xuất danh sách đăng ký của khóa học nào?",
    "Training courses (staff)": "Quản lý khóa tập huấn (cán bộ)",
    "Export lists (staff)": "Xuất danh sách (cán bộ)",
    "Nobody has signed up for this course yet.": "Chưa có ai đăng ký khóa học này.",
    "The course has not started yet; attendance comes after.": "Khóa học chưa bắt đầu; điểm danh sau khi học.",
    "This chat cannot receive files. Export on the server: `python -m bot export registrations --course {id} --format xlsx --out list.xlsx`.":
        "Cuộc trò chuyện này không nhận được tệp. Hãy xuất trên máy chủ: `python -m bot export "
        "registrations --course {id} --format xlsx --out list.xlsx`.",
    "Cancel **{title}**? Everyone registered or waiting will be told.":
        "Hủy khóa **{title}**? Mọi người đã đăng ký hoặc đang chờ sẽ được báo.",
    "Attendance": "Điểm danh",
    "Export (Excel)": "Xuất Excel",
    "Done: the others were absent": "Xong: những người còn lại vắng",
    "**Create this course?**": "**Tạo khóa học này?**",
    "New course": "Tạo khóa học",
    "Let us start again from the start time.": "Mời nhập lại từ giờ bắt đầu.",
    "Open the course": "Mở khóa học",
    "Cancel the course": "Hủy khóa học",
    "Yes, cancel the course": "Đồng ý hủy khóa học",
    "No": "Không",
    "Create": "Tạo",
    "Training": "Tập huấn",
    "**Please check, then confirm:**": "**Bạn kiểm tra lại rồi xác nhận:**",
    "Cancel your registration for **{title}**?": "Hủy đăng ký khóa **{title}**?",
    "Your registration is cancelled. Thank you for telling us: someone else can take the seat.":
        "Đã hủy đăng ký. Cảm ơn bạn đã báo để người khác được vào thay.",
    "Thank you! Anything you would like to tell the organisers (what was useful, what to improve)? Type it, or press **Skip**.":
        "Cảm ơn bạn! Bạn có muốn góp ý gì với ban tổ chức (điều gì có ích, cần cải thiện gì)? "
        "Gõ vào đây, hoặc bấm **Bỏ qua**.",
    "Thank you, your comment goes to the organisers.": "Cảm ơn bạn, góp ý đã được gửi tới ban tổ chức.",
    "Training courses: sign up": "Tập huấn: xem lịch và đăng ký",
    "**Your registrations**": "**Khóa bạn đã đăng ký**",
    "**Upcoming courses** — press one to see it and sign up:": "**Khóa tập huấn sắp tới** — bấm vào để xem và đăng ký:",
    "There are no upcoming courses open for sign-up right now. The union will announce new ones here.":
        "Hiện chưa có khóa tập huấn nào mở đăng ký. Hội sẽ thông báo khóa mới tại đây.",
    "Join the waiting list": "Vào danh sách chờ",
    "This course is for {who} only.": "Khóa học này chỉ dành cho: {who}.",
    "To sign you up I need a few details. What is your **full name**, as it should appear on the attendance list?":
        "Để đăng ký, tôi cần vài thông tin. **Họ và tên** đầy đủ của bạn (để ghi vào danh sách)?",
    "The course is full: you will be put on the waiting list and told as soon as a seat is yours.":
        "Khóa học đã đủ chỗ: bạn sẽ vào danh sách chờ và được báo ngay khi có chỗ.",
    "Sorry, the last seat was just taken. Would you like a place on the waiting list? You will be told as soon as a seat is yours.":
        "Rất tiếc, chỗ cuối cùng vừa có người đăng ký. Bạn có muốn vào danh sách chờ không? Bạn "
        "sẽ được báo ngay khi có chỗ.",
    "You are not signed up for that course (any more).": "Bạn không (còn) đăng ký khóa học đó.",
    "registered": "đã đăng ký",
    "waiting list, place {n}": "danh sách chờ, thứ {n}",
    "This course has been cancelled.": "Khóa học này đã bị hủy.",
    "Registration for this course is closed.": "Khóa học này đã hết hạn đăng ký.",
    "Sign up": "Đăng ký",
    "Your **phone number**, so that the organisers can reach you (for example 0912 345 678)? Only union staff can see it.":
        "**Số điện thoại** để ban tổ chức liên hệ (ví dụ 0912 345 678)? Chỉ cán bộ Hội xem được.",
    "Please answer in text, or press **Cancel**.": "Bạn hãy trả lời bằng chữ, hoặc bấm **Hủy**.",
    "Please type your full name (2 to 100 letters), for example _Nguyễn Văn An_.":
        "Bạn hãy gõ họ và tên (2 đến 100 chữ), ví dụ _Nguyễn Văn An_.",
    "Type /taphuan to see or cancel your registrations.": "Gõ /taphuan để xem hoặc hủy đăng ký.",
    "You are on the waiting list for **{title}**. I will tell you as soon as a seat is yours.":
        "Bạn đã vào danh sách chờ khóa **{title}**. Tôi sẽ báo ngay khi có chỗ cho bạn.",
    "Back to the list": "Quay lại danh sách",
    "Which **commune or ward** do you live in?": "Bạn ở **xã/phường** nào?",
    "Change my details": "Sửa thông tin",
    "That does not look like a phone number. Please type it like 0912 345 678.":
        "Số này có vẻ không phải số điện thoại. Bạn hãy gõ như 0912 345 678.",
    "You are already signed up for this course. Type /taphuan to see your registrations.":
        "Bạn đã đăng ký khóa này rồi. Gõ /taphuan để xem các khóa đã đăng ký.",
    "Yes, cancel it": "Đồng ý hủy",
    "No, keep it": "Không, giữ lại",
    "Cancel: {title}": "Hủy: {title}",
    "What is your **role**?": "**Vai trò** của bạn là gì?",
    "Confirm": "Xác nhận",
    "Please press one of the buttons above, or **Cancel**.": "Bạn hãy bấm một nút ở trên, hoặc **Hủy**.",
    "The name of your **cooperative, group or business**?": "Tên **HTX, tổ hợp tác hoặc doanh nghiệp** của bạn?",
    "I could not find “{typed}” among the communes and wards of {province}. Please check the name and type it again.":
        "Tôi không tìm thấy “{typed}” trong các xã, phường của {province}. Bạn kiểm tra lại tên "
        "và gõ lại nhé.",
    "Please type the name, or press **Skip**.": "Bạn hãy gõ tên, hoặc bấm **Bỏ qua**.",
    "You are registered. I will remind you before the course.": "Bạn đã đăng ký thành công. Tôi sẽ nhắc bạn trước buổi học.",
    "Type /hoso to change your details, then sign up again with /taphuan.":
        "Gõ /hoso để sửa thông tin, rồi đăng ký lại bằng /taphuan.",
    "Cancelled: you are not signed up. Type /taphuan to see the courses.":
        "Đã hủy: bạn chưa đăng ký. Gõ /taphuan để xem các khóa học.",
    "Back to the course": "Quay lại khóa học",
    "Thank you!": "Cảm ơn bạn!",
}
VI["{name} “{v}” is not a number"] = "{name} “{v}” không phải là số"
VI["has_ocop “{v}” must be 1 or 0"] = "has_ocop “{v}” phải là 1 hoặc 0"
VI["Feedback: {avg}/5 from {n} person(s); comments are in the export."] = "Đánh giá: {avg}/5 từ {n} người; góp ý xem trong tệp xuất."
VI.update({
    "Title": "Tên khóa học",
    "Start": "Giờ bắt đầu",
    "End": "Giờ kết thúc",
    "Seats": "Số chỗ",
    "Who may sign up": "Đối tượng được đăng ký",
    "Registration closes": "Hạn đăng ký",
    "Description": "Mô tả",
    "Saved.": "Đã lưu.",
    "Edit": "Sửa",
    "{n} person(s) moved in from the waiting list.": "{n} người trong danh sách chờ đã được chuyển vào.",
    "What do you want to change?": "Bạn muốn sửa mục nào?",
    "Type the new value for **{field}** (a time like _08:00 10/12/2026_; “-” empties an optional field).":
        "Gõ giá trị mới cho **{field}** (thời gian gõ như _08:00 10/12/2026_; gõ “-” để xóa một mục "
        "không bắt buộc).",
})
